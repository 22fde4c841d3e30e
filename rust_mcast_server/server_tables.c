// SPDX-License-Identifier: GPL-2.0
/*
 * The C-owned tables of rust_mcast_server: its netfilter hook, its generic
 * netlink family with the attribute policy, its pernet registration and its
 * load-time parameters. Declarations only; the code is Rust (server.rs).
 * Constants come from kernel_glue/mcast_proto.h, generated from mcast_shared.
 */
#include "../kernel_glue/helpers.c"
#include "../kernel_glue/mcast_proto.h"

static unsigned int max_groups = 1024;
module_param(max_groups, uint, 0444);
MODULE_PARM_DESC(max_groups, "Most groups per network namespace (default 1024)");
static unsigned int max_members = 1024;
module_param(max_members, uint, 0444);
MODULE_PARM_DESC(max_members, "Most members per group (default 1024)");

/* Rust entry points (kernel_glue/module.rs, netns.rs, genl.rs). */
unsigned int rmc_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
int rmc_net_init(struct net *net);
void rmc_net_exit(struct net *net);
int rmc_genl_doit(struct sk_buff *skb, struct genl_info *info);
int rmc_genl_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

static const struct nf_hook_ops rms_hook_ops = {
	.hook = rmc_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_LOCAL_OUT,
	.priority = NF_IP_PRI_FIRST,
};

static unsigned int rms_net_id;
static struct pernet_operations rms_pernet_ops = {
	.init = rmc_net_init,
	.exit = rmc_net_exit,
	.id = &rms_net_id,
	.size = sizeof(void *),
};

static const struct nla_policy rms_policy[MCAST_SERVER_ATTR_MAX + 1] = {
	[MCAST_SERVER_ATTR_GROUP] = NLA_POLICY_EXACT_LEN(4),
	[MCAST_SERVER_ATTR_MEMBERS] = { .type = NLA_BINARY, .len = MCAST_SERVER_MEMBERS_MAX_BYTES },
};

#define RMS_DO(c) { .cmd = (c), .doit = rmc_genl_doit, .flags = GENL_UNS_ADMIN_PERM }
#define RMS_QUERY(c) { .cmd = (c), .doit = rmc_genl_doit }
#define RMS_DUMP(c) { .cmd = (c), .dumpit = rmc_genl_dumpit }
static const struct genl_small_ops rms_ops[] = {
	RMS_DO(MCAST_SERVER_CMD_ADD_GROUP),
	RMS_DO(MCAST_SERVER_CMD_DEL_GROUP),
	RMS_DO(MCAST_SERVER_CMD_JOIN),
	RMS_DO(MCAST_SERVER_CMD_QUIT),
	RMS_DO(MCAST_SERVER_CMD_CLEAR),
	RMS_DUMP(MCAST_SERVER_CMD_GET_GROUPS),
	RMS_DUMP(MCAST_SERVER_CMD_GET_MEMBERS),
	RMS_QUERY(MCAST_SERVER_CMD_GET_STATS),
};

static struct genl_family rms_family __ro_after_init = {
	.name = MCAST_SERVER_FAMILY,
	.version = MCAST_GENL_VERSION,
	.maxattr = MCAST_SERVER_ATTR_MAX,
	.policy = rms_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = rms_ops,
	.n_small_ops = ARRAY_SIZE(rms_ops),
	.resv_start_op = MCAST_SERVER_CMD_ADD_GROUP,
};

int rmc_module_register_pernet(void) { return register_pernet_subsys(&rms_pernet_ops); }
void rmc_module_unregister_pernet(void) { unregister_pernet_subsys(&rms_pernet_ops); }
int rmc_module_register_family(void) { return genl_register_family(&rms_family); }
void rmc_module_unregister_family(void) { genl_unregister_family(&rms_family); }
const struct genl_family *rmc_module_family(void) { return &rms_family; }
const struct nf_hook_ops *rmc_module_hook_ops(void) { return &rms_hook_ops; }
unsigned int rmc_module_net_id(void) { return rms_net_id; }
unsigned int rmc_module_param(unsigned int i) { return i == 0 ? max_groups : max_members; }
