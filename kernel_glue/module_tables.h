/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C tables every module has, included at the end of its tables file
 * after it defined rmc_policy[], rmc_ops[] and:
 *   RMC_HOOKNUM     netfilter hook point
 *   RMC_FAMILY      generic netlink family name
 *   RMC_ATTR_MAX    highest request attribute
 *   RMC_FIRST_CMD   first command (strict validation from there on)
 * Declarations and registration one-liners only.
 */
static const struct nf_hook_ops rmc_hook_ops = {
	.hook = rmc_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = RMC_HOOKNUM,
	.priority = NF_IP_PRI_FIRST,
};

static unsigned int rmc_net_id;
/* pre_exit unhooks, exit frees a grace period later (kernel_glue/netns.rs). */
static struct pernet_operations rmc_pernet_ops = {
	.init = rmc_net_init,
	.pre_exit = rmc_net_pre_exit,
	.exit = rmc_net_exit,
	.id = &rmc_net_id,
	.size = sizeof(void *),
};

static struct genl_family rmc_family __ro_after_init = {
	.name = RMC_FAMILY,
	.version = MCAST_GENL_VERSION,
	.maxattr = RMC_ATTR_MAX,
	.policy = rmc_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = rmc_ops,
	.n_small_ops = ARRAY_SIZE(rmc_ops),
	.resv_start_op = RMC_FIRST_CMD,
};

int rmc_module_register_pernet(void) { return register_pernet_subsys(&rmc_pernet_ops); }
void rmc_module_unregister_pernet(void) { unregister_pernet_subsys(&rmc_pernet_ops); }
int rmc_module_register_family(void) { return genl_register_family(&rmc_family); }
void rmc_module_unregister_family(void) { genl_unregister_family(&rmc_family); }
const struct genl_family *rmc_module_family(void) { return &rmc_family; }
const struct nf_hook_ops *rmc_module_hook_ops(void) { return &rmc_hook_ops; }
unsigned int rmc_module_net_id(void) { return rmc_net_id; }
