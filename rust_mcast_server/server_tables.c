// SPDX-License-Identifier: GPL-2.0
/*
 * The C-owned tables of rust_mcast_server: its load-time parameters, its
 * generic netlink policy and operations; the common hook, family and pernet
 * tables come from kernel_glue/module_tables.h. The code is Rust (server.rs).
 * Constants come from kernel_glue/mcast_proto.h, generated from mcast_shared.
 */
#include "../kernel_glue/helpers.c"
#include "../kernel_glue/mcast_proto.h"

static unsigned int max_groups = 1024;
module_param(max_groups, uint, 0444);
MODULE_PARM_DESC(max_groups, "Most groups per network namespace (default 1024, at most 65536)");
static unsigned int max_members = 1024;
module_param(max_members, uint, 0444);
MODULE_PARM_DESC(max_members, "Most members per group (default 1024, at most 65536)");
static unsigned int query_interval = 125;
module_param(query_interval, uint, 0444);
MODULE_PARM_DESC(query_interval, "Seconds between the IGMP queries sent to learned members (default 125, 1-3600)");
static unsigned int route_refresh_ms = MCAST_DEFAULT_ROUTE_REFRESH_MS;
module_param(route_refresh_ms, uint, 0644);
MODULE_PARM_DESC(route_refresh_ms, "Milliseconds a member's cached route serves at most before it is looked up again (default 1000, at most 3600000; 0: no cache, every copy looks its route up); changeable at run time");
/* (READ_ONCE: route_refresh_ms may change while hooks read it) */
unsigned int rmc_module_param(unsigned int i) { return i == 0 ? max_groups : i == 1 ? max_members : i == 2 ? query_interval : READ_ONCE(route_refresh_ms); }

static const struct nla_policy rmc_policy[MCAST_SERVER_ATTR_MAX + 1] = {
	[MCAST_SERVER_ATTR_GROUP] = NLA_POLICY_EXACT_LEN(4),
	[MCAST_SERVER_ATTR_MEMBERS] = { .type = NLA_BINARY, .len = MCAST_SERVER_MEMBERS_MAX_BYTES },
	[MCAST_SERVER_ATTR_LEARN_PREFIXES] = { .type = NLA_BINARY, .len = MCAST_SERVER_LEARN_PREFIXES_MAX_BYTES },
	[MCAST_SERVER_ATTR_LEARN_TIMEOUT] = { .type = NLA_U32 },
};

static const struct genl_small_ops rmc_ops[] = {
	RMC_CHANGE(MCAST_SERVER_CMD_ADD_GROUP),
	RMC_CHANGE(MCAST_SERVER_CMD_DEL_GROUP),
	RMC_CHANGE(MCAST_SERVER_CMD_JOIN),
	RMC_CHANGE(MCAST_SERVER_CMD_QUIT),
	RMC_CHANGE(MCAST_SERVER_CMD_CLEAR),
	RMC_DUMP(MCAST_SERVER_CMD_GET_GROUPS),
	RMC_DUMP(MCAST_SERVER_CMD_GET_MEMBERS),
	RMC_QUERY(MCAST_SERVER_CMD_GET_STATS),
};

#define RMC_IN_HOOKNUM NF_INET_LOCAL_IN
#define RMC_IN_PRIORITY (NF_IP_PRI_FILTER + 1)
#define RMC_FAMILY MCAST_SERVER_FAMILY
#define RMC_ATTR_MAX MCAST_SERVER_ATTR_MAX
#define RMC_FIRST_CMD MCAST_SERVER_CMD_ADD_GROUP
#include "../kernel_glue/module_tables.h"
