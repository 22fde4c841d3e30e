// SPDX-License-Identifier: GPL-2.0
/*
 * C accessors and wrappers for what bindgen cannot see from an unpatched
 * kernel: static inline functions, macros and struct fields. No logic here:
 * every decision is made in Rust (the Rust files of kernel_glue and mcast_shared).
 * Each module includes this file from its own tables file, so each .ko gets
 * a private copy (Kbuild refuses one object in two modules).
 */
#include <linux/build_bug.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_bridge.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/dst.h>
#include <net/l3mdev.h>
#include <net/xfrm.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>
#include <linux/igmp.h>
#include <linux/inetdevice.h>
#include "helpers.h"
#include "mcast_proto.h"

/*
 * A module's slot in each namespace (pernet_operations.size): the Rust
 * state first (kernel_glue/netns.rs reads it as a pointer), then the
 * namespace's periodic work (module_tables.h, kernel_glue/work.rs).
 */
struct rmc_pernet {
	void *state;
	struct net *net;
	struct delayed_work work;
};

/*
 * The kernel facts the Rust side relies on without seeing the C headers
 * (mcast_shared and kernel_glue/abi.rs hold them as numbers; mcast_proto.h
 * carries them here from mcast_shared): a kernel where one differs does
 * not build.
 */
static_assert(MCAST_KERNEL_NF_ACCEPT == NF_ACCEPT);
/* kernel_glue/genl.rs keeps a dump's position in cb->args as 6 longs */
static_assert(sizeof_field(struct netlink_callback, args) == 6 * sizeof(long));
static_assert(MCAST_KERNEL_NF_STOLEN == NF_STOLEN);
static_assert(offsetof(struct rmc_pernet, state) == 0);
static_assert(MCAST_KERNEL_NET_XMIT_SUCCESS == NET_XMIT_SUCCESS);
static_assert(MCAST_KERNEL_NET_XMIT_CN == NET_XMIT_CN);
static_assert(MCAST_KERNEL_CHECKSUM_NONE == CHECKSUM_NONE);
static_assert(MCAST_KERNEL_CHECKSUM_UNNECESSARY == CHECKSUM_UNNECESSARY);
static_assert(MCAST_KERNEL_CHECKSUM_COMPLETE == CHECKSUM_COMPLETE);
static_assert(MCAST_KERNEL_CHECKSUM_PARTIAL == CHECKSUM_PARTIAL);
static_assert(MCAST_KERNEL_ENOENT == ENOENT);
static_assert(MCAST_KERNEL_EPERM == EPERM);
static_assert(MCAST_KERNEL_ENOMEM == ENOMEM);
static_assert(MCAST_KERNEL_EEXIST == EEXIST);
static_assert(MCAST_KERNEL_EINVAL == EINVAL);
static_assert(MCAST_KERNEL_ENOSPC == ENOSPC);
/* A shared payload's chunks (mcast_shared::abi::shared_payload): each fits a page, all fit one skb. */
static_assert(MCAST_KERNEL_PAYLOAD_CHUNK <= PAGE_SIZE);
static_assert(MCAST_KERNEL_PAYLOAD_MAX_CHUNKS <= MAX_SKB_FRAGS);
static_assert(MCAST_KERNEL_RTN_UNICAST == RTN_UNICAST);
static_assert(MCAST_KERNEL_RTN_LOCAL == RTN_LOCAL);

/* ---- sk_buff ---- */
u8 *rmc_skb_network_header(struct sk_buff *skb) { return skb_network_header(skb); }
/* The linear bytes from the network header on: one call a packet for the hooks' header reads. */
u8 *rmc_skb_network_bytes(const struct sk_buff *skb, unsigned int *len) { *len = max_t(long, skb_tail_pointer(skb) - skb_network_header(skb), 0); return skb_network_header(skb); }
/* All bytes (linear and paged) from the network header on. */
unsigned int rmc_skb_len_from_network(const struct sk_buff *skb) { return skb->len - skb_network_offset(skb); }
bool rmc_skb_may_pull_network(struct sk_buff *skb, unsigned int len) { return pskb_network_may_pull(skb, len); }
int rmc_skb_ensure_writable_network(struct sk_buff *skb, unsigned int len) { return skb_ensure_writable(skb, skb_network_offset(skb) + len); }
u8 rmc_skb_ip_summed(const struct sk_buff *skb) { return skb->ip_summed; }
void rmc_skb_set_checksum_none(struct sk_buff *skb) { skb->ip_summed = CHECKSUM_NONE; }
struct sk_buff *rmc_pskb_copy_atomic(struct sk_buff *skb) { return pskb_copy(skb, GFP_ATOMIC); }
bool rmc_skb_is_gso(const struct sk_buff *skb) { return skb_is_gso(skb); }
bool rmc_skb_encapsulation(const struct sk_buff *skb) { return skb->encapsulation; }
/* CHECKSUM_PARTIAL: where the field the device completes ends, from the network header. */
int rmc_skb_partial_csum_end(const struct sk_buff *skb) { return skb_checksum_start_offset(skb) + skb->csum_offset + sizeof(__sum16) - skb_network_offset(skb); }
int rmc_skb_network_offset(const struct sk_buff *skb) { return skb_network_offset(skb); }
/* For what has a fallback: no warning, and no emergency reserves (a
 * pfmemalloc skb would make every copy of it one, which receivers drop). */
#define RMC_GFP_OPTIONAL (GFP_ATOMIC | __GFP_NOWARN | __GFP_NOMEMALLOC)
/*
 * A new skb holding the first `len` bytes of `skb` from skb->data, with the
 * same headroom and the header fields pskb_copy gives its copies
 * (skb_copy_header); NULL without memory.
 */
struct sk_buff *rmc_skb_copy_prefix(const struct sk_buff *skb, unsigned int len)
{
	struct sk_buff *n = alloc_skb(skb_headroom(skb) + len, RMC_GFP_OPTIONAL);

	if (!n)
		return NULL;
	skb_reserve(n, skb_headroom(skb));
	skb_copy_header(n, skb);
	if (skb_copy_bits(skb, 0, skb_put(n, len), len)) {
		kfree_skb(n);
		return NULL;
	}
	return n;
}
/*
 * Appends a new page to `to` as its fragment `i`, holding `len` bytes of
 * `from` at `offset` from from->data; false without memory (or if `from`
 * is shorter), with the page, if any, already `to`'s to free. The page is
 * marked shared (pskb_copy passes the flag on): whoever would write into a
 * copy's page fragments copies them first (skb_has_shared_frag).
 */
bool rmc_skb_append_page_copy(struct sk_buff *to, unsigned int i, const struct sk_buff *from,
			      int offset, unsigned int len)
{
	struct page *page = alloc_page(RMC_GFP_OPTIONAL);

	if (!page)
		return false;
	skb_add_rx_frag(to, i, page, 0, len, PAGE_SIZE);
	skb_shinfo(to)->flags |= SKBFL_SHARED_FRAG;
	return skb_copy_bits(from, offset, page_address(page), len) == 0;
}
void rmc_kfree_skb(struct sk_buff *skb) { kfree_skb(skb); }
void rmc_consume_skb(struct sk_buff *skb) { consume_skb(skb); }
/* As nf_dup_ipv4 marks its copies: no conntrack entry of their own. */
void rmc_skb_set_untracked(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
#endif
}
/* A frame br_netfilter runs through the IPv4 hooks on its way across a bridge. */
bool rmc_skb_bridged_prerouting(const struct sk_buff *skb) { return nf_bridge_in_prerouting(skb); }
/* A frame that went through a bridge's PRE_ROUTING with br_netfilter (still there, or passed up since). */
bool rmc_skb_has_nf_bridge(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	return nf_bridge_info_get(skb) != NULL;
#else
	return false;   /* nf_bridge_info_get exists only with br_netfilter */
#endif
}
/*
 * In the bridge's PRE_ROUTING: addressed to another host's link-layer
 * address (br_netfilter's setup_pre_routing turns PACKET_OTHERHOST into
 * PACKET_HOST for the IPv4 hooks and keeps the truth here).
 */
bool rmc_skb_bridged_for_other_host(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	const struct nf_bridge_info *nf_bridge = nf_bridge_info_get(skb);

	return nf_bridge && nf_bridge->pkt_otherhost;
#else
	return false;
#endif
}
/* The conntrack zone of the skb's entry or template, as nf_defrag_ipv4 reads it. */
u16 rmc_skb_ct_zone_id(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	if (ct)
		return nf_ct_zone_id(nf_ct_zone(ct), CTINFO2DIR(ctinfo));
#endif
	return NF_CT_DEFAULT_ZONE_ID;
}

/* ---- IPv4 output and input ---- */
/* How ip_route_me_harder classifies a packet's source when told RTN_UNSPEC:
 * the same for every copy of a datagram, so classified once for all. */
unsigned int rmc_skb_source_type(struct net *net, const struct sk_buff *skb) { return inet_addr_type_dev_table(net, skb_dst_dev(skb), ip_hdr(skb)->saddr); }
int rmc_route_me_harder(struct net *net, struct sk_buff *skb, unsigned int source_type) { return ip_route_me_harder(net, skb->sk, skb, source_type); }
bool rmc_skb_route_is_local(struct sk_buff *skb) { return skb_rtable(skb)->rt_type == RTN_LOCAL; }
int rmc_ip_local_out(struct net *net, struct sk_buff *skb) { return ip_local_out(net, skb->sk, skb); }
/* ---- Routes a copy borrows (kernel_glue/route_cache.rs) ---- */
struct dst_entry *rmc_skb_route(const struct sk_buff *skb) { return skb_dst(skb); }
/* Still what a lookup would return: not obsoleted, its generation current
 * (ipv4_dst_check), its device not gone (rt_flush_dev moves routes on the
 * uncached list to blackhole_netdev without obsoleting them). */
bool rmc_route_still_valid(struct dst_entry *dst) { return dst_check(dst, 0) && dst_dev(dst) != blackhole_netdev; }
/* A route fit to keep: no error to report, no IPsec bundle. */
bool rmc_route_keepable(const struct dst_entry *dst) { return !dst->error && !dst_xfrm(dst); }
bool rmc_route_hold(struct dst_entry *dst) { return dst_hold_safe(dst); }
void rmc_route_release(struct dst_entry *dst) { dst_release(dst); }
/* Gives `skb` the route `dst` without a reference, valid while the caller's
 * RCU read-side section lasts, then the link-layer headroom its device needs
 * (as ip_route_me_harder's tail): 0, or -ENOMEM. */
int rmc_skb_borrow_route(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set_noref(skb, dst);
	return skb_cow_head(skb, dst_dev(dst)->hard_header_len);
}
u32 rmc_skb_mark(const struct sk_buff *skb) { return skb->mark; }
int rmc_skb_route_l3mdev(const struct sk_buff *skb) { return l3mdev_master_ifindex(skb_dst_dev(skb)); }
/* Whether fib rules match on ports or protocol (fib4_rules_early_flow_dissect). */
bool rmc_net_routes_by_ports(const struct net *net)
{
#ifdef CONFIG_IP_MULTIPLE_TABLES
	return READ_ONCE(net->ipv4.fib_rules_require_fldissect);
#else
	return false;
#endif
}
/* Whether multipath routes pick next hops by their neighbour's state. */
bool rmc_net_multipath_by_neighbour(const struct net *net)
{
#ifdef CONFIG_IP_ROUTE_MULTIPATH
	return READ_ONCE(net->ipv4.sysctl_fib_multipath_use_neigh);
#else
	return false;
#endif
}
/* Whether IPsec may act on output (xfrm_route_forward's test). */
bool rmc_net_ipsec_on_output(const struct net *net)
{
#ifdef CONFIG_XFRM
	return READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT]) ||
	       READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_OUT]) != XFRM_USERPOLICY_ACCEPT;
#else
	return false;
#endif
}
/* A new IPv4 packet of `len` zeroed bytes from its network header, with
 * room for any link-layer header; NULL without memory. */
struct sk_buff *rmc_alloc_packet(unsigned int len)
{
	struct sk_buff *skb = alloc_skb(LL_MAX_HEADER + len, GFP_ATOMIC);

	if (skb) {
		skb_reserve(skb, LL_MAX_HEADER);
		skb_reset_network_header(skb);
		skb_put_zero(skb, len);
		skb->protocol = htons(ETH_P_IP);
	}
	return skb;
}
/* Routes a packet built here by its IP header's addresses (the source must
 * be one of this host's), as raw sockets' ip_route_output_flow does. */
int rmc_route_output(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4 = { .daddr = iph->daddr, .saddr = iph->saddr, .flowi4_proto = iph->protocol };
	struct rtable *rt = ip_route_output_key(net, &fl4);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb_dst_set(skb, &rt->dst);
	return 0;
}
/* Whether `addr` (network order) is one of this namespace's addresses. */
bool rmc_addr_is_local(struct net *net, __be32 addr) { return inet_addr_type(net, addr) == RTN_LOCAL; }
/* The source address routing picks toward `daddr` (0: no route). */
__be32 rmc_route_source(struct net *net, __be32 daddr)
{
	struct flowi4 fl4 = { .daddr = daddr };
	struct rtable *rt = ip_route_output_key(net, &fl4);

	if (IS_ERR(rt))
		return 0;
	ip_rt_put(rt);
	return fl4.saddr;
}
/*
 * Whether a device of `net` has joined `group` (network order): the IGMP
 * stack's own membership lists (in_dev->mc_list, walked as igmp.c's
 * for_each_pmc_rcu does; the macro is private to igmp.c).
 */
bool rmc_net_joined_group(struct net *net, __be32 group)
{
	struct net_device *dev;
	struct ip_mc_list *im;
	bool joined = false;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		struct in_device *in_dev = __in_dev_get_rcu(dev);

		for (im = in_dev ? rcu_dereference(in_dev->mc_list) : NULL; im && !joined;
		     im = rcu_dereference(im->next_rcu))
			joined = im->multiaddr == group && im->users > 0;
		if (joined)
			break;
	}
	rcu_read_unlock();
	return joined;
}
/* Whether the namespace is still alive (not being dismantled). */
bool rmc_net_alive(const struct net *net) { return check_net(net); }
/*
 * As nf_defrag_ipv4 gathers fragments, in the queue conntrack uses for
 * `user` (IP_DEFRAG_CONNTRACK_IN or _BRIDGE_IN, below) in conntrack zone
 * `zone`: 0 = skb is now the whole datagram.
 */
int rmc_ip_defrag(struct net *net, struct sk_buff *skb, u32 user, u16 zone)
{
	int err;

	local_bh_disable();
	err = ip_defrag(net, skb, user + zone);
	local_bh_enable();
	if (!err)
		skb->ignore_df = 1;
	return err;
}
u32 rmc_defrag_user_routed(void) { return IP_DEFRAG_CONNTRACK_IN; }
u32 rmc_defrag_user_bridged(void) { return IP_DEFRAG_CONNTRACK_BRIDGE_IN; }

/* ---- netfilter and namespaces ---- */
/*
 * The module's per-namespace pointer (pernet_operations.size = a pointer):
 * published with release semantics so a hook on another CPU that sees the
 * pointer sees the state it points to initialised (smp_store_release /
 * smp_load_acquire: the reader reaches the slot through the hook call, a
 * control dependency, which orders no loads).
 */
static __always_inline void *rmc_net_slot_load(const struct net *net, unsigned int id) { return smp_load_acquire((void **)net_generic(net, id)); }
void *rmc_net_slot_read(const struct net *net, unsigned int id) { return rmc_net_slot_load(net, id); }
void rmc_net_slot_write(const struct net *net, unsigned int id, void *state) { smp_store_release((void **)net_generic(net, id), state); }

/* ---- RCU, bottom halves, per-CPU ---- */
void rmc_rcu_read_lock(void) { rcu_read_lock(); }
void rmc_rcu_read_unlock(void) { rcu_read_unlock(); }
void rmc_local_bh_disable(void) { local_bh_disable(); }
void rmc_local_bh_enable(void) { local_bh_enable(); }
/* Charged to the memory cgroup of the task that causes it (a request, or
 * the creation of a namespace); a failure is the caller's ENOMEM. */
u64 __percpu *rmc_percpu_alloc_u64(unsigned int count) { return __alloc_percpu_gfp(count * sizeof(u64), sizeof(u64), GFP_KERNEL_ACCOUNT | __GFP_NOWARN); }
void rmc_percpu_free(u64 __percpu *p) { free_percpu(p); }
void rmc_percpu_add(u64 __percpu *p, unsigned int idx, u64 v) { this_cpu_add(p[idx], v); }
u64 rmc_percpu_read(u64 __percpu *p, int cpu, unsigned int idx) { return READ_ONCE(per_cpu_ptr(p, cpu)[idx]); }
int rmc_next_possible_cpu(int prev) { return cpumask_next(prev, cpu_possible_mask); }
unsigned int rmc_nr_cpu_ids(void) { return nr_cpu_ids; }
u64 rmc_random_u64(void) { return get_random_u64(); }
u64 rmc_now_ms(void) { return jiffies64_to_msecs(get_jiffies_64()); }
/* Set while this CPU sends copies, so the copies are not replicated again
 * when ip_local_out() runs them through LOCAL_OUT (as nf_dup_ipv4 does).
 * Read and written only with bottom halves off (kernel_glue/module.rs). */
static DEFINE_PER_CPU(bool, rmc_sending_copies);
bool rmc_sending_copies_get(void) { return this_cpu_read(rmc_sending_copies); }
void rmc_sending_copies_set(bool v) { this_cpu_write(rmc_sending_copies, v); }

/* ---- generic netlink ---- */
struct net *rmc_genl_info_net(const struct genl_info *info) { return genl_info_net(info); }
const struct nlattr *rmc_genl_info_attr(const struct genl_info *info, unsigned int i) { return info->attrs[i]; }
const struct nlattr *rmc_genl_dump_attr(struct netlink_callback *cb, unsigned int i) { return genl_info_dump(cb)->attrs ? genl_info_dump(cb)->attrs[i] : NULL; }
struct net *rmc_dump_net(struct netlink_callback *cb) { return sock_net(cb->skb->sk); }
long *rmc_dump_cursor(struct netlink_callback *cb) { return cb->args; }
/* The generation of what a dump round reads (cb->seq; 0 = none). */
void rmc_dump_set_generation(struct netlink_callback *cb, unsigned int generation) { cb->seq = generation; }
void rmc_genl_dump_check_consistent(struct netlink_callback *cb, void *hdr) { genl_dump_check_consistent(cb, hdr); }
const void *rmc_nla_data(const struct nlattr *a) { return nla_data(a); }
int rmc_nla_len(const struct nlattr *a) { return nla_len(a); }
void rmc_genl_set_err_msg(struct genl_info *info, const char *msg) { NL_SET_ERR_MSG_FMT(info->extack, "%s", msg); }
void rmc_dump_set_err_msg(struct netlink_callback *cb, const char *msg) { NL_SET_ERR_MSG_FMT(cb->extack, "%s", msg); }
struct sk_buff *rmc_genlmsg_new(size_t payload) { return genlmsg_new(payload, GFP_KERNEL); }
void *rmc_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info, const struct genl_family *f, u8 cmd) { return genlmsg_put_reply(skb, info, f, 0, cmd); }
void *rmc_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb, const struct genl_family *f, u8 cmd) { return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq, f, NLM_F_MULTI, cmd); }
void rmc_genlmsg_end(struct sk_buff *skb, void *hdr) { genlmsg_end(skb, hdr); }
void rmc_genlmsg_cancel(struct sk_buff *skb, void *hdr) { genlmsg_cancel(skb, hdr); }
int rmc_genlmsg_reply(struct sk_buff *skb, struct genl_info *info) { return genlmsg_reply(skb, info); }
void rmc_nlmsg_free(struct sk_buff *skb) { nlmsg_free(skb); }
int rmc_nla_put(struct sk_buff *skb, int type, int len, const void *data) { return nla_put(skb, type, len, data); }
int rmc_nla_put_u64(struct sk_buff *skb, int type, u64 v, int pad) { return nla_put_u64_64bit(skb, type, v, pad); }
u8 rmc_genl_info_cmd(const struct genl_info *info) { return info->genlhdr->cmd; }
u8 rmc_dump_cmd(struct netlink_callback *cb) { return genl_info_dump(cb)->genlhdr->cmd; }

/* Operation table entries: changes need CAP_NET_ADMIN in the namespace. */
#define RMC_CHANGE(c) { .cmd = (c), .doit = rmc_genl_doit, .flags = GENL_UNS_ADMIN_PERM }
#define RMC_QUERY(c) { .cmd = (c), .doit = rmc_genl_doit }
#define RMC_DUMP(c) { .cmd = (c), .dumpit = rmc_genl_dumpit }
