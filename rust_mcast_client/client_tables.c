// SPDX-License-Identifier: GPL-2.0
/*
 * The C-owned tables of rust_mcast_client: its load-time parameters, its
 * generic netlink policy and operations; the common hook, family and pernet
 * tables come from kernel_glue/module_tables.h. The code is Rust (client.rs).
 * Constants come from kernel_glue/mcast_proto.h, generated from mcast_shared.
 */
#include "../kernel_glue/helpers.c"
#include "../kernel_glue/mcast_proto.h"

static unsigned int max_entries = 1024;
module_param(max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "Most (sender, port) entries per network namespace (default 1024, at most 65536)");
static unsigned int announce_interval = 60;
module_param(announce_interval, uint, 0444);
MODULE_PARM_DESC(announce_interval, "Seconds between re-announcements of the host's groups to their senders (default 60, 1-3600)");
unsigned int rmc_module_param(unsigned int i) { return i == 0 ? max_entries : announce_interval; }

static const struct nla_policy rmc_policy[MCAST_CLIENT_ATTR_MAX + 1] = {
	[MCAST_CLIENT_ATTR_SENDER] = NLA_POLICY_EXACT_LEN(4),
	[MCAST_CLIENT_ATTR_PORT] = { .type = NLA_U16 },
	[MCAST_CLIENT_ATTR_GROUP] = NLA_POLICY_EXACT_LEN(4),
	[MCAST_CLIENT_ATTR_FLAGS] = { .type = NLA_U32 },
};

static const struct genl_small_ops rmc_ops[] = {
	RMC_CHANGE(MCAST_CLIENT_CMD_ADD_ENTRY),
	RMC_CHANGE(MCAST_CLIENT_CMD_DEL_ENTRY),
	RMC_CHANGE(MCAST_CLIENT_CMD_CLEAR),
	RMC_DUMP(MCAST_CLIENT_CMD_GET_ENTRIES),
	RMC_QUERY(MCAST_CLIENT_CMD_GET_STATS),
};

/* Restoring before conntrack sees the copy: rmc_defrag_user_routed and the
 * br_netfilter handling (datapath.rs) assume this point. */
#define RMC_IN_HOOKNUM NF_INET_PRE_ROUTING
#define RMC_IN_PRIORITY NF_IP_PRI_FIRST
#define RMC_FAMILY MCAST_CLIENT_FAMILY
#define RMC_ATTR_MAX MCAST_CLIENT_ATTR_MAX
#define RMC_FIRST_CMD MCAST_CLIENT_CMD_ADD_ENTRY
#include "../kernel_glue/module_tables.h"
