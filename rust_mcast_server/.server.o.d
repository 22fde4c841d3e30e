/work/main/rust_mcast_server/.server.o.d: /work/main/rust_mcast_server/server.rs /work/main/rust_mcast_server/../mcast_shared/src/shared.rs /work/main/rust_mcast_server/../mcast_shared/src/csum.rs /work/main/rust_mcast_server/../mcast_shared/src/error.rs /work/main/rust_mcast_server/../mcast_shared/src/genl.rs /work/main/rust_mcast_server/../mcast_shared/src/addr.rs /work/main/rust_mcast_server/../mcast_shared/src/packet.rs /work/main/rust_mcast_server/../mcast_shared/src/index.rs /work/main/rust_mcast_server/../mcast_shared/src/rules.rs /work/main/rust_mcast_server/../kernel_glue/mod.rs /work/main/rust_mcast_server/../kernel_glue/ffi.rs /work/main/rust_mcast_server/../kernel_glue/genl.rs /work/main/rust_mcast_server/../kernel_glue/module.rs /work/main/rust_mcast_server/../kernel_glue/netns.rs /work/main/rust_mcast_server/../kernel_glue/percpu.rs /work/main/rust_mcast_server/../kernel_glue/rcu.rs /work/main/rust_mcast_server/../kernel_glue/skb.rs /work/main/rust_mcast_server/../kernel_glue/table.rs /work/main/rust_mcast_server/control.rs /work/main/rust_mcast_server/datapath.rs /work/main/rust_mcast_server/groups.rs ./rust/libcore.rmeta ./rust/libkernel.rmeta ./rust/libffi.rmeta ./rust/libcompiler_builtins.rmeta ./rust/libmacros.so ./rust/libbindings.rmeta ./rust/libuapi.rmeta ./rust/libbuild_error.rmeta

/work/main/rust_mcast_server/server.o: /work/main/rust_mcast_server/server.rs /work/main/rust_mcast_server/../mcast_shared/src/shared.rs /work/main/rust_mcast_server/../mcast_shared/src/csum.rs /work/main/rust_mcast_server/../mcast_shared/src/error.rs /work/main/rust_mcast_server/../mcast_shared/src/genl.rs /work/main/rust_mcast_server/../mcast_shared/src/addr.rs /work/main/rust_mcast_server/../mcast_shared/src/packet.rs /work/main/rust_mcast_server/../mcast_shared/src/index.rs /work/main/rust_mcast_server/../mcast_shared/src/rules.rs /work/main/rust_mcast_server/../kernel_glue/mod.rs /work/main/rust_mcast_server/../kernel_glue/ffi.rs /work/main/rust_mcast_server/../kernel_glue/genl.rs /work/main/rust_mcast_server/../kernel_glue/module.rs /work/main/rust_mcast_server/../kernel_glue/netns.rs /work/main/rust_mcast_server/../kernel_glue/percpu.rs /work/main/rust_mcast_server/../kernel_glue/rcu.rs /work/main/rust_mcast_server/../kernel_glue/skb.rs /work/main/rust_mcast_server/../kernel_glue/table.rs /work/main/rust_mcast_server/control.rs /work/main/rust_mcast_server/datapath.rs /work/main/rust_mcast_server/groups.rs ./rust/libcore.rmeta ./rust/libkernel.rmeta ./rust/libffi.rmeta ./rust/libcompiler_builtins.rmeta ./rust/libmacros.so ./rust/libbindings.rmeta ./rust/libuapi.rmeta ./rust/libbuild_error.rmeta

/work/main/rust_mcast_server/server.rs:
/work/main/rust_mcast_server/../mcast_shared/src/shared.rs:
/work/main/rust_mcast_server/../mcast_shared/src/csum.rs:
/work/main/rust_mcast_server/../mcast_shared/src/error.rs:
/work/main/rust_mcast_server/../mcast_shared/src/genl.rs:
/work/main/rust_mcast_server/../mcast_shared/src/addr.rs:
/work/main/rust_mcast_server/../mcast_shared/src/packet.rs:
/work/main/rust_mcast_server/../mcast_shared/src/index.rs:
/work/main/rust_mcast_server/../mcast_shared/src/rules.rs:
/work/main/rust_mcast_server/../kernel_glue/mod.rs:
/work/main/rust_mcast_server/../kernel_glue/ffi.rs:
/work/main/rust_mcast_server/../kernel_glue/genl.rs:
/work/main/rust_mcast_server/../kernel_glue/module.rs:
/work/main/rust_mcast_server/../kernel_glue/netns.rs:
/work/main/rust_mcast_server/../kernel_glue/percpu.rs:
/work/main/rust_mcast_server/../kernel_glue/rcu.rs:
/work/main/rust_mcast_server/../kernel_glue/skb.rs:
/work/main/rust_mcast_server/../kernel_glue/table.rs:
/work/main/rust_mcast_server/control.rs:
/work/main/rust_mcast_server/datapath.rs:
/work/main/rust_mcast_server/groups.rs:
./rust/libcore.rmeta:
./rust/libkernel.rmeta:
./rust/libffi.rmeta:
./rust/libcompiler_builtins.rmeta:
./rust/libmacros.so:
./rust/libbindings.rmeta:
./rust/libuapi.rmeta:
./rust/libbuild_error.rmeta:
