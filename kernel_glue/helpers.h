/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of every C function a module defines for its Rust side (they
 * are declared again in kernel_glue/ffi.rs) and of the Rust entry points the
 * C tables point at. Included by helpers.c, so the compiler checks each
 * definition against its prototype (no -Wno-missing-prototypes in Kbuild).
 */
#ifndef RMC_HELPERS_H
#define RMC_HELPERS_H

#include <linux/types.h>

struct sk_buff;
struct dst_entry;
struct net;
struct nf_hook_state;
struct nf_hook_ops;
struct genl_info;
struct genl_family;
struct netlink_callback;
struct nlattr;

/* sk_buff */
u8 *rmc_skb_network_header(struct sk_buff *skb);
u8 *rmc_skb_network_bytes(const struct sk_buff *skb, unsigned int *len);
unsigned int rmc_skb_len_from_network(const struct sk_buff *skb);
bool rmc_skb_may_pull_network(struct sk_buff *skb, unsigned int len);
int rmc_skb_ensure_writable_network(struct sk_buff *skb, unsigned int len);
u8 rmc_skb_ip_summed(const struct sk_buff *skb);
void rmc_skb_set_checksum_none(struct sk_buff *skb);
struct sk_buff *rmc_pskb_copy_atomic(struct sk_buff *skb);
bool rmc_skb_is_gso(const struct sk_buff *skb);
bool rmc_skb_encapsulation(const struct sk_buff *skb);
int rmc_skb_partial_csum_end(const struct sk_buff *skb);
int rmc_skb_network_offset(const struct sk_buff *skb);
struct sk_buff *rmc_skb_copy_prefix(const struct sk_buff *skb, unsigned int len);
bool rmc_skb_append_page_copy(struct sk_buff *to, unsigned int i, const struct sk_buff *from,
			      int offset, unsigned int len);
void rmc_kfree_skb(struct sk_buff *skb);
void rmc_consume_skb(struct sk_buff *skb);
void rmc_skb_set_untracked(struct sk_buff *skb);
bool rmc_skb_bridged_prerouting(const struct sk_buff *skb);
bool rmc_skb_bridged_for_other_host(const struct sk_buff *skb);
bool rmc_skb_has_nf_bridge(const struct sk_buff *skb);
u16 rmc_skb_ct_zone_id(const struct sk_buff *skb);

/* IPv4 output and input */
unsigned int rmc_skb_source_type(struct net *net, const struct sk_buff *skb);
int rmc_route_me_harder(struct net *net, struct sk_buff *skb, unsigned int source_type);
bool rmc_skb_route_is_local(struct sk_buff *skb);
int rmc_ip_local_out(struct net *net, struct sk_buff *skb);
struct sk_buff *rmc_alloc_packet(unsigned int len);
int rmc_route_output(struct net *net, struct sk_buff *skb);
bool rmc_addr_is_local(struct net *net, __be32 addr);
__be32 rmc_route_source(struct net *net, __be32 daddr);
bool rmc_net_joined_group(struct net *net, __be32 group);
bool rmc_net_alive(const struct net *net);
int rmc_ip_defrag(struct net *net, struct sk_buff *skb, u32 user, u16 zone);
u32 rmc_defrag_user_routed(void);
u32 rmc_defrag_user_bridged(void);
struct dst_entry *rmc_skb_route(const struct sk_buff *skb);
bool rmc_route_still_valid(struct dst_entry *dst);
bool rmc_route_keepable(const struct dst_entry *dst);
bool rmc_route_hold(struct dst_entry *dst);
void rmc_route_release(struct dst_entry *dst);
int rmc_skb_borrow_route(struct sk_buff *skb, struct dst_entry *dst);
u32 rmc_skb_mark(const struct sk_buff *skb);
int rmc_skb_route_l3mdev(const struct sk_buff *skb);
bool rmc_net_routes_by_ports(const struct net *net);
bool rmc_net_multipath_by_neighbour(const struct net *net);
bool rmc_net_ipsec_on_output(const struct net *net);

/* netfilter and namespaces */
void *rmc_net_slot_read(const struct net *net, unsigned int id);
void rmc_net_slot_write(const struct net *net, unsigned int id, void *state);

/* RCU, bottom halves, per-CPU */
void rmc_rcu_read_lock(void);
void rmc_rcu_read_unlock(void);
void rmc_local_bh_disable(void);
void rmc_local_bh_enable(void);
u64 __percpu *rmc_percpu_alloc_u64(unsigned int count);
void rmc_percpu_free(u64 __percpu *p);
void rmc_percpu_add(u64 __percpu *p, unsigned int idx, u64 v);
u64 rmc_percpu_read(u64 __percpu *p, int cpu, unsigned int idx);
int rmc_next_possible_cpu(int prev);
unsigned int rmc_nr_cpu_ids(void);
u64 rmc_random_u64(void);
u64 rmc_now_ms(void);
bool rmc_sending_copies_get(void);
void rmc_sending_copies_set(bool v);

/* generic netlink */
struct net *rmc_genl_info_net(const struct genl_info *info);
const struct nlattr *rmc_genl_info_attr(const struct genl_info *info, unsigned int i);
const struct nlattr *rmc_genl_dump_attr(struct netlink_callback *cb, unsigned int i);
struct net *rmc_dump_net(struct netlink_callback *cb);
long *rmc_dump_cursor(struct netlink_callback *cb);
void rmc_dump_set_generation(struct netlink_callback *cb, unsigned int generation);
void rmc_genl_dump_check_consistent(struct netlink_callback *cb, void *hdr);
const void *rmc_nla_data(const struct nlattr *a);
int rmc_nla_len(const struct nlattr *a);
void rmc_genl_set_err_msg(struct genl_info *info, const char *msg);
void rmc_dump_set_err_msg(struct netlink_callback *cb, const char *msg);
struct sk_buff *rmc_genlmsg_new(size_t payload);
void *rmc_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
			    const struct genl_family *f, u8 cmd);
void *rmc_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct genl_family *f, u8 cmd);
void rmc_genlmsg_end(struct sk_buff *skb, void *hdr);
void rmc_genlmsg_cancel(struct sk_buff *skb, void *hdr);
int rmc_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
void rmc_nlmsg_free(struct sk_buff *skb);
int rmc_nla_put(struct sk_buff *skb, int type, int len, const void *data);
int rmc_nla_put_u64(struct sk_buff *skb, int type, u64 v, int pad);
u8 rmc_genl_info_cmd(const struct genl_info *info);
u8 rmc_dump_cmd(struct netlink_callback *cb);

/* the module's own tables file (kernel_glue/module_tables.h, *_tables.c) */
int rmc_module_register_pernet(void);
void rmc_module_unregister_pernet(void);
int rmc_module_register_family(void);
void rmc_module_unregister_family(void);
const struct genl_family *rmc_module_family(void);
unsigned int rmc_module_net_id(void);
void *rmc_module_hook_state_slot(const struct nf_hook_state *state, struct net **net);
int rmc_module_register_hook(struct net *net, unsigned int index);
void rmc_module_unregister_hook(struct net *net, unsigned int index);
void rmc_module_work_init(struct net *net);
void rmc_module_work_kick(struct net *net);
void rmc_module_work_later(struct net *net, unsigned int ms);
void rmc_module_work_cancel(struct net *net);
unsigned int rmc_module_param(unsigned int index);

/* the Rust entry points every module's tables point at */
unsigned int rmc_hook_local_out(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
unsigned int rmc_hook_arriving(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
int rmc_net_init(struct net *net);
void rmc_net_pre_exit(struct net *net);
void rmc_net_exit(struct net *net);
void rmc_net_work(struct net *net);
int rmc_genl_doit(struct sk_buff *skb, struct genl_info *info);
int rmc_genl_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* RMC_HELPERS_H */
