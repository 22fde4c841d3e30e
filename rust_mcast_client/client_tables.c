// SPDX-License-Identifier: GPL-2.0
/*
 * The C-owned tables of rust_mcast_client: its netfilter hook, its generic
 * netlink family with the attribute policy, its pernet registration and its
 * load-time parameters. Declarations only; the code is Rust (client.rs).
 * Constants come from kernel_glue/mcast_proto.h, generated from mcast_shared.
 */
#include "../kernel_glue/helpers.c"
#include "../kernel_glue/mcast_proto.h"

static unsigned int max_entries = 1024;
module_param(max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "Most (sender, port) entries per network namespace (default 1024)");

/* Rust entry points (kernel_glue/module.rs, netns.rs, genl.rs). */
unsigned int rmc_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
int rmc_net_init(struct net *net);
void rmc_net_exit(struct net *net);
int rmc_genl_doit(struct sk_buff *skb, struct genl_info *info);
int rmc_genl_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

static const struct nf_hook_ops rmc_c_hook_ops = {
	.hook = rmc_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_PRE_ROUTING,
	.priority = NF_IP_PRI_FIRST,
};

static unsigned int rmc_c_net_id;
static struct pernet_operations rmc_c_pernet_ops = {
	.init = rmc_net_init,
	.exit = rmc_net_exit,
	.id = &rmc_c_net_id,
	.size = sizeof(void *),
};

static const struct nla_policy rmc_c_policy[MCAST_CLIENT_ATTR_MAX + 1] = {
	[MCAST_CLIENT_ATTR_SENDER] = NLA_POLICY_EXACT_LEN(4),
	[MCAST_CLIENT_ATTR_PORT] = { .type = NLA_U16 },
	[MCAST_CLIENT_ATTR_GROUP] = NLA_POLICY_EXACT_LEN(4),
	[MCAST_CLIENT_ATTR_FLAGS] = { .type = NLA_U32 },
};

#define RMC_C_DO(c) { .cmd = (c), .doit = rmc_genl_doit, .flags = GENL_UNS_ADMIN_PERM }
#define RMC_C_QUERY(c) { .cmd = (c), .doit = rmc_genl_doit }
#define RMC_C_DUMP(c) { .cmd = (c), .dumpit = rmc_genl_dumpit }
static const struct genl_small_ops rmc_c_ops[] = {
	RMC_C_DO(MCAST_CLIENT_CMD_ADD_ENTRY),
	RMC_C_DO(MCAST_CLIENT_CMD_DEL_ENTRY),
	RMC_C_DO(MCAST_CLIENT_CMD_CLEAR),
	RMC_C_DUMP(MCAST_CLIENT_CMD_GET_ENTRIES),
	RMC_C_QUERY(MCAST_CLIENT_CMD_GET_STATS),
};

static struct genl_family rmc_c_family __ro_after_init = {
	.name = MCAST_CLIENT_FAMILY,
	.version = MCAST_GENL_VERSION,
	.maxattr = MCAST_CLIENT_ATTR_MAX,
	.policy = rmc_c_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = rmc_c_ops,
	.n_small_ops = ARRAY_SIZE(rmc_c_ops),
	.resv_start_op = MCAST_CLIENT_CMD_ADD_ENTRY,
};

int rmc_module_register_pernet(void) { return register_pernet_subsys(&rmc_c_pernet_ops); }
void rmc_module_unregister_pernet(void) { unregister_pernet_subsys(&rmc_c_pernet_ops); }
int rmc_module_register_family(void) { return genl_register_family(&rmc_c_family); }
void rmc_module_unregister_family(void) { genl_unregister_family(&rmc_c_family); }
const struct genl_family *rmc_module_family(void) { return &rmc_c_family; }
const struct nf_hook_ops *rmc_module_hook_ops(void) { return &rmc_c_hook_ops; }
unsigned int rmc_module_net_id(void) { return rmc_c_net_id; }
unsigned int rmc_module_param(unsigned int i) { return max_entries; }
