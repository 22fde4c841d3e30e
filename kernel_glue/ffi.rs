// SPDX-License-Identifier: GPL-2.0
//! Declarations of the C side: `helpers.c` (shared one-liners) and the
//! module's own tables file (`rmc_module_*`: its hook, family and pernet
//! registrations, and its load-time parameters). Only the glue uses these.
//! `helpers.h` holds the C prototypes of the same functions.

use core::ffi::{c_char, c_int, c_long, c_uint, c_void};

macro_rules! opaque {
    ($($name:ident),*) => {$(
        /// An opaque kernel object, only ever used behind a pointer.
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
        }
    )*};
}
opaque!(
    SkBuff,
    DstEntry,
    Net,
    NfHookState,
    GenlInfo,
    GenlFamily,
    NetlinkCallback,
    NlAttr
);

extern "C" {
    pub fn rmc_skb_network_header(skb: *mut SkBuff) -> *mut u8;
    pub fn rmc_skb_network_bytes(skb: *const SkBuff, len: *mut c_uint) -> *mut u8;
    pub fn rmc_skb_may_pull_network(skb: *mut SkBuff, len: c_uint) -> bool;
    pub fn rmc_skb_ensure_writable_network(skb: *mut SkBuff, len: c_uint) -> c_int;
    pub fn rmc_skb_ip_summed(skb: *const SkBuff) -> u8;
    pub fn rmc_skb_set_checksum_none(skb: *mut SkBuff);
    pub fn rmc_pskb_copy_atomic(skb: *mut SkBuff) -> *mut SkBuff;
    pub fn rmc_skb_is_gso(skb: *const SkBuff) -> bool;
    pub fn rmc_skb_encapsulation(skb: *const SkBuff) -> bool;
    pub fn rmc_skb_partial_csum_end(skb: *const SkBuff) -> c_int;
    pub fn rmc_skb_network_offset(skb: *const SkBuff) -> c_int;
    pub fn rmc_skb_copy_prefix(skb: *const SkBuff, len: c_uint) -> *mut SkBuff;
    pub fn rmc_skb_append_page_copy(
        to: *mut SkBuff,
        i: c_uint,
        from: *const SkBuff,
        offset: c_int,
        len: c_uint,
    ) -> bool;
    pub fn rmc_kfree_skb(skb: *mut SkBuff);
    pub fn rmc_consume_skb(skb: *mut SkBuff);
    pub fn rmc_skb_len_from_network(skb: *const SkBuff) -> c_uint;
    pub fn rmc_skb_set_untracked(skb: *mut SkBuff);
    pub fn rmc_skb_bridged_prerouting(skb: *const SkBuff) -> bool;
    pub fn rmc_skb_bridged_for_other_host(skb: *const SkBuff) -> bool;
    pub fn rmc_skb_has_nf_bridge(skb: *const SkBuff) -> bool;
    pub fn rmc_skb_ct_zone_id(skb: *const SkBuff) -> u16;

    pub fn rmc_skb_source_type(net: *mut Net, skb: *const SkBuff) -> c_uint;
    pub fn rmc_route_me_harder(net: *mut Net, skb: *mut SkBuff, source_type: c_uint) -> c_int;
    pub fn rmc_skb_route_is_local(skb: *mut SkBuff) -> bool;
    pub fn rmc_ip_local_out(net: *mut Net, skb: *mut SkBuff) -> c_int;
    pub fn rmc_alloc_packet(len: c_uint) -> *mut SkBuff;
    pub fn rmc_route_output(net: *mut Net, skb: *mut SkBuff) -> c_int;
    pub fn rmc_addr_is_local(net: *mut Net, addr: u32) -> bool;
    pub fn rmc_route_source(net: *mut Net, daddr: u32) -> u32;
    pub fn rmc_net_joined_group(net: *mut Net, group: u32) -> bool;
    pub fn rmc_net_alive(net: *const Net) -> bool;
    pub fn rmc_ip_defrag(net: *mut Net, skb: *mut SkBuff, user: u32, zone: u16) -> c_int;
    pub fn rmc_defrag_user_routed() -> u32;
    pub fn rmc_defrag_user_bridged() -> u32;
    pub fn rmc_skb_route(skb: *const SkBuff) -> *mut DstEntry;
    pub fn rmc_route_still_valid(dst: *mut DstEntry) -> bool;
    pub fn rmc_route_keepable(dst: *const DstEntry) -> bool;
    pub fn rmc_route_hold(dst: *mut DstEntry) -> bool;
    pub fn rmc_route_release(dst: *mut DstEntry);
    pub fn rmc_skb_borrow_route(skb: *mut SkBuff, dst: *mut DstEntry) -> c_int;
    pub fn rmc_skb_mark(skb: *const SkBuff) -> u32;
    pub fn rmc_skb_route_l3mdev(skb: *const SkBuff) -> c_int;
    pub fn rmc_net_routes_by_ports(net: *const Net) -> bool;
    pub fn rmc_net_multipath_by_neighbour(net: *const Net) -> bool;
    pub fn rmc_net_ipsec_on_output(net: *const Net) -> bool;

    pub fn rmc_net_slot_read(net: *const Net, id: c_uint) -> *mut c_void;
    pub fn rmc_net_slot_write(net: *const Net, id: c_uint, state: *mut c_void);

    pub fn rmc_rcu_read_lock();
    pub fn rmc_rcu_read_unlock();
    pub fn rmc_local_bh_disable();
    pub fn rmc_local_bh_enable();
    pub fn rmc_percpu_alloc_u64(count: c_uint) -> *mut u64;
    pub fn rmc_percpu_free(p: *mut u64);
    pub fn rmc_percpu_add(p: *mut u64, idx: c_uint, v: u64);
    pub fn rmc_percpu_read(p: *mut u64, cpu: c_int, idx: c_uint) -> u64;
    pub fn rmc_next_possible_cpu(prev: c_int) -> c_int;
    pub fn rmc_nr_cpu_ids() -> c_uint;
    pub fn rmc_random_u64() -> u64;
    pub fn rmc_now_ms() -> u64;
    pub fn rmc_sending_copies_get() -> bool;
    pub fn rmc_sending_copies_set(v: bool);

    pub fn rmc_genl_info_net(info: *const GenlInfo) -> *mut Net;
    pub fn rmc_genl_info_attr(info: *const GenlInfo, i: c_uint) -> *const NlAttr;
    pub fn rmc_genl_dump_attr(cb: *mut NetlinkCallback, i: c_uint) -> *const NlAttr;
    pub fn rmc_dump_net(cb: *mut NetlinkCallback) -> *mut Net;
    pub fn rmc_dump_cursor(cb: *mut NetlinkCallback) -> *mut c_long;
    pub fn rmc_dump_set_generation(cb: *mut NetlinkCallback, generation: c_uint);
    pub fn rmc_genl_dump_check_consistent(cb: *mut NetlinkCallback, hdr: *mut c_void);
    pub fn rmc_genl_info_cmd(info: *const GenlInfo) -> u8;
    pub fn rmc_dump_cmd(cb: *mut NetlinkCallback) -> u8;
    pub fn rmc_nla_data(a: *const NlAttr) -> *const c_void;
    pub fn rmc_nla_len(a: *const NlAttr) -> c_int;
    pub fn rmc_genl_set_err_msg(info: *mut GenlInfo, msg: *const c_char);
    pub fn rmc_dump_set_err_msg(cb: *mut NetlinkCallback, msg: *const c_char);
    pub fn rmc_genlmsg_new(payload: usize) -> *mut SkBuff;
    pub fn rmc_genlmsg_put_reply(
        skb: *mut SkBuff,
        info: *mut GenlInfo,
        f: *const GenlFamily,
        cmd: u8,
    ) -> *mut c_void;
    pub fn rmc_genlmsg_put_dump(
        skb: *mut SkBuff,
        cb: *mut NetlinkCallback,
        f: *const GenlFamily,
        cmd: u8,
    ) -> *mut c_void;
    pub fn rmc_genlmsg_end(skb: *mut SkBuff, hdr: *mut c_void);
    pub fn rmc_genlmsg_cancel(skb: *mut SkBuff, hdr: *mut c_void);
    pub fn rmc_genlmsg_reply(skb: *mut SkBuff, info: *mut GenlInfo) -> c_int;
    pub fn rmc_nlmsg_free(skb: *mut SkBuff);
    pub fn rmc_nla_put(skb: *mut SkBuff, ty: c_int, len: c_int, data: *const c_void) -> c_int;
    pub fn rmc_nla_put_u64(skb: *mut SkBuff, ty: c_int, v: u64, pad: c_int) -> c_int;

    // The module's own tables file.
    pub fn rmc_module_register_pernet() -> c_int;
    pub fn rmc_module_unregister_pernet();
    pub fn rmc_module_register_family() -> c_int;
    pub fn rmc_module_unregister_family();
    pub fn rmc_module_family() -> *const GenlFamily;
    pub fn rmc_module_net_id() -> c_uint;
    pub fn rmc_module_hook_state_slot(state: *const NfHookState, net: *mut *mut Net)
        -> *mut c_void;
    pub fn rmc_module_register_hook(net: *mut Net, index: c_uint) -> c_int;
    pub fn rmc_module_unregister_hook(net: *mut Net, index: c_uint);
    pub fn rmc_module_work_init(net: *mut Net);
    pub fn rmc_module_work_kick(net: *mut Net);
    pub fn rmc_module_work_later(net: *mut Net, ms: c_uint);
    pub fn rmc_module_work_cancel(net: *mut Net);
    pub fn rmc_module_param(index: c_uint) -> c_uint;
}
