/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C tables every module has, included at the end of its tables file
 * after it defined rmc_policy[], rmc_ops[] and:
 *   RMC_IN_HOOKNUM  the arriving packets' hook point, RMC_IN_PRIORITY its priority
 *   RMC_FAMILY      generic netlink family name
 *   RMC_ATTR_MAX    highest request attribute
 *   RMC_FIRST_CMD   first command (strict validation from there on)
 * Declarations and registration one-liners only.
 */
/*
 * Registered per namespace, each only while the namespace's configuration
 * needs it (kernel_glue/hooks.rs): index 0 and 1 as hooks.rs names them.
 * Both modules hook LOCAL_OUT first (the server's copies, the client's
 * announcements of the host's IGMP reports) and one arriving point the
 * tables file names: the client PRE_ROUTING first (restoring, before
 * conntrack), the server LOCAL_IN after the filter table (learning from
 * what the host's firewall and reverse-path check let in). A function a
 * point, so the hook reads nothing to know where it runs.
 */
static const struct nf_hook_ops rmc_hook_ops[] = {
	{ .hook = rmc_hook_local_out, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT, .priority = NF_IP_PRI_FIRST },
	{ .hook = rmc_hook_arriving, .pf = NFPROTO_IPV4, .hooknum = RMC_IN_HOOKNUM, .priority = RMC_IN_PRIORITY },
};

static unsigned int rmc_net_id;
/* pre_exit unhooks, exit frees a grace period later (kernel_glue/netns.rs). */
static struct pernet_operations rmc_pernet_ops = {
	.init = rmc_net_init,
	.pre_exit = rmc_net_pre_exit,
	.exit = rmc_net_exit,
	.id = &rmc_net_id,
	.size = sizeof(struct rmc_pernet),
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
unsigned int rmc_module_net_id(void) { return rmc_net_id; }
/* A hook's namespace and the module's state there, in one call a packet (the load forced inline: at -Os gcc called rmc_net_slot_read). */
void *rmc_module_hook_state_slot(const struct nf_hook_state *state, struct net **net) { *net = state->net; return rmc_net_slot_load(state->net, rmc_net_id); }
/* One hook of rmc_hook_ops, in one namespace, when its configuration needs it (kernel_glue/hooks.rs). */
int rmc_module_register_hook(struct net *net, unsigned int index) { return index < ARRAY_SIZE(rmc_hook_ops) ? nf_register_net_hook(net, &rmc_hook_ops[index]) : -EINVAL; }
void rmc_module_unregister_hook(struct net *net, unsigned int index) { if (!WARN_ON(index >= ARRAY_SIZE(rmc_hook_ops))) nf_unregister_net_hook(net, &rmc_hook_ops[index]); }

/* The namespace's periodic work (kernel_glue/work.rs): runs rmc_net_work. */
static struct rmc_pernet *rmc_pernet(const struct net *net) { return net_generic(net, rmc_net_id); }
static void rmc_work_fn(struct work_struct *w) { rmc_net_work(container_of(to_delayed_work(w), struct rmc_pernet, work)->net); }
void rmc_module_work_init(struct net *net) { rmc_pernet(net)->net = net; INIT_DELAYED_WORK(&rmc_pernet(net)->work, rmc_work_fn); }
/* Now, even if it was due later. */
void rmc_module_work_kick(struct net *net) { mod_delayed_work(system_wq, &rmc_pernet(net)->work, 0); }
/* In `ms`, unless it is pending already. */
void rmc_module_work_later(struct net *net, unsigned int ms) { queue_delayed_work(system_wq, &rmc_pernet(net)->work, msecs_to_jiffies(ms)); }
void rmc_module_work_cancel(struct net *net) { cancel_delayed_work_sync(&rmc_pernet(net)->work); }
