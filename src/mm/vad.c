/*
** vad.c -- the VAD tree: an AVL tree of address ranges ordered by start page.
**
** INVARIANTS (checked by vad_check(); cite the ID in assertions):
**   VAD1  In-order, start_vpn is strictly increasing and nodes do not
**       overlap: the end_vpn of one node < the start_vpn of the next.
**   VAD2  start_vpn <= end_vpn for every node.
**   VAD3  Parent and child links agree: n->left->parent == n and
**       n->right->parent == n; the root's parent is NULL.
**   VAD4  Every node's height is 1 + max(child heights) (a missing child
**       has height 0) and its balance |h(left) - h(right)| <= 1.
**   VAD5  count equals the number of nodes reachable from root.
**
** TRANSITIONS (and the only function that performs each):
**   not in tree -> in tree        vad_insert()  (then rebalance to the root)
**   in tree     -> not in tree    vad_remove()  (unlinked, links cleared)
**   every node  -> freed          vad_tree_clear()
**
** The tree owns no memory: nodes are allocated and freed by the caller
** (vad_tree_clear() hands each node to the caller's free_fn).  Because VAD1
** holds, end_vpn is increasing in order as well, which is what lets
** vad_lookup_ge() descend on end_vpn.
*/
#include "vad.h"

#include <inttypes.h>
#include <stdio.h>

/* An AVL tree of 2^64 nodes is at most ~93 high; deeper means a cycle or
** a broken VAD4, and vad_check() stops there rather than recurse forever. */
#define VAD_MAX_DEPTH 128

static int vad_height(const struct vad *n)
{
    return n != NULL ? n->height : 0;
}

static int vad_max(int a, int b)
{
    return a > b ? a : b;
}

static void vad_fix_height(struct vad *n)
{
    n->height = 1 + vad_max(vad_height(n->left), vad_height(n->right));
}

/* Puts new_child where old_child hung below parent (or at the root). */
static void vad_replace_child(struct vad_tree *t, struct vad *parent,
                              struct vad *old_child, struct vad *new_child)
{
    if (parent == NULL)
        t->root = new_child;
    else if (parent->left == old_child)
        parent->left = new_child;
    else
        parent->right = new_child;
    if (new_child != NULL)
        new_child->parent = parent;
}

/*     x              y
**      \            /
**       y    ->    x
**      /            \
**     b              b        Returns y, the new root of the subtree. */
static struct vad *vad_rotate_left(struct vad_tree *t, struct vad *x)
{
    struct vad *y = x->right;

    x->right = y->left;
    if (y->left != NULL)
        y->left->parent = x;
    vad_replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
    vad_fix_height(x);
    vad_fix_height(y);
    return y;
}

static struct vad *vad_rotate_right(struct vad_tree *t, struct vad *x)
{
    struct vad *y = x->left;

    x->left = y->right;
    if (y->right != NULL)
        y->right->parent = x;
    vad_replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
    vad_fix_height(x);
    vad_fix_height(y);
    return y;
}

/* Restores VAD4 on the path from n up to the root after one node was
** linked in or unlinked below n.  The path is O(log n) long. */
static void vad_rebalance(struct vad_tree *t, struct vad *n)
{
    while (n != NULL) {
        int balance = vad_height(n->left) - vad_height(n->right);

        if (balance > 1) {
            if (vad_height(n->left->left) < vad_height(n->left->right))
                vad_rotate_left(t, n->left);
            n = vad_rotate_right(t, n);
        } else if (balance < -1) {
            if (vad_height(n->right->right) < vad_height(n->right->left))
                vad_rotate_right(t, n->right);
            n = vad_rotate_left(t, n);
        } else {
            vad_fix_height(n);
        }
        n = n->parent;
    }
}

static struct vad *vad_leftmost(struct vad *n)
{
    while (n != NULL && n->left != NULL)
        n = n->left;
    return n;
}

static struct vad *vad_rightmost(struct vad *n)
{
    while (n != NULL && n->right != NULL)
        n = n->right;
    return n;
}

void vad_tree_init(struct vad_tree *t)
{
    t->root = NULL;
    t->count = 0;
}

void vad_insert(struct vad_tree *t, struct vad *v)
{
    struct vad *parent = NULL;
    struct vad **link = &t->root;

    while (*link != NULL) {
        parent = *link;
        link = v->start_vpn < parent->start_vpn ? &parent->left : &parent->right;
    }
    v->left = NULL;
    v->right = NULL;
    v->parent = parent;
    v->height = 1;
    *link = v;
    t->count++;
    vad_rebalance(t, parent);
}

void vad_remove(struct vad_tree *t, struct vad *v)
{
    struct vad *from;   /* lowest node whose subtree changed */

    if (v->left != NULL && v->right != NULL) {
        /* Two children: the successor s (leftmost of the right subtree,
        ** so s->left == NULL) takes v's place in the tree. */
        struct vad *s = vad_leftmost(v->right);

        if (s->parent == v) {
            from = s;
        } else {
            from = s->parent;
            from->left = s->right;
            if (s->right != NULL)
                s->right->parent = from;
            s->right = v->right;
            s->right->parent = s;
        }
        s->left = v->left;
        s->left->parent = s;
        s->height = v->height;
        vad_replace_child(t, v->parent, v, s);
    } else {
        struct vad *child = v->left != NULL ? v->left : v->right;

        from = v->parent;
        vad_replace_child(t, v->parent, v, child);
    }
    v->left = NULL;
    v->right = NULL;
    v->parent = NULL;
    v->height = 1;
    t->count--;
    vad_rebalance(t, from);
}

struct vad *vad_find(const struct vad_tree *t, uint64_t vpn)
{
    struct vad *n = t->root;

    while (n != NULL) {
        if (vpn < n->start_vpn)
            n = n->left;
        else if (vpn > n->end_vpn)
            n = n->right;
        else
            return n;
    }
    return NULL;
}

struct vad *vad_lookup_ge(const struct vad_tree *t, uint64_t vpn)
{
    struct vad *n = t->root;
    struct vad *best = NULL;

    while (n != NULL) {
        if (n->end_vpn >= vpn) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

/* The last node whose start_vpn <= vpn, or NULL. O(log n). */
static struct vad *vad_lookup_le(const struct vad_tree *t, uint64_t vpn)
{
    struct vad *n = t->root;
    struct vad *best = NULL;

    while (n != NULL) {
        if (n->start_vpn <= vpn) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

struct vad *vad_overlap(const struct vad_tree *t, uint64_t lo, uint64_t hi)
{
    struct vad *v;

    if (lo > hi)
        return NULL;
    v = vad_lookup_ge(t, lo);
    return v != NULL && v->start_vpn <= hi ? v : NULL;
}

struct vad *vad_first(const struct vad_tree *t)
{
    return vad_leftmost(t->root);
}

struct vad *vad_last(const struct vad_tree *t)
{
    return vad_rightmost(t->root);
}

struct vad *vad_next(const struct vad *v)
{
    const struct vad *n = v;

    if (n->right != NULL)
        return vad_leftmost(n->right);
    while (n->parent != NULL && n->parent->right == n)
        n = n->parent;
    return n->parent;
}

struct vad *vad_prev(const struct vad *v)
{
    const struct vad *n = v;

    if (n->left != NULL)
        return vad_rightmost(n->left);
    while (n->parent != NULL && n->parent->left == n)
        n = n->parent;
    return n->parent;
}

unsigned vad_depth(const struct vad *v)
{
    unsigned depth = 0;

    while (v->parent != NULL) {
        v = v->parent;
        depth++;
    }
    return depth;
}

/* Lowest start >= a, a multiple of align, with [start, start+n-1] inside
** [a, b].  Returns 1 and *start, or 0.  Never overflows: a <= b and all
** sums are checked against b first. */
static int vad_fit_low(uint64_t a, uint64_t b, uint64_t n_pages,
                       uint64_t align, uint64_t *start)
{
    uint64_t rem = a % align;
    uint64_t s = a;

    if (rem != 0) {
        if (align - rem > b - a)
            return 0;
        s = a + (align - rem);
    }
    if (b - s < n_pages - 1)
        return 0;
    *start = s;
    return 1;
}

/* Highest multiple of align s >= a with [s, s+n-1] inside [a, b]. */
static int vad_fit_high(uint64_t a, uint64_t b, uint64_t n_pages,
                        uint64_t align, uint64_t *start)
{
    uint64_t s;

    if (b - a < n_pages - 1)
        return 0;
    s = b - (n_pages - 1);
    s -= s % align;
    if (s < a)
        return 0;
    *start = s;
    return 1;
}

/* Bottom-up: walk the free holes of [lo, hi] in increasing order. */
static int vad_gap_low(const struct vad_tree *t, uint64_t lo, uint64_t hi,
                       uint64_t n_pages, uint64_t align, uint64_t *start_vpn)
{
    uint64_t cursor = lo;   /* lowest page not yet known to be taken */
    const struct vad *v = vad_lookup_ge(t, lo);

    if (v != NULL && v->start_vpn > hi)
        v = NULL;
    for (;;) {
        if (v == NULL || v->start_vpn > cursor) {
            uint64_t end = hi;

            if (v != NULL && v->start_vpn - 1 < hi)
                end = v->start_vpn - 1;
            if (vad_fit_low(cursor, end, n_pages, align, start_vpn))
                return 1;
        }
        if (v == NULL || v->end_vpn >= hi)
            return 0;
        cursor = v->end_vpn + 1;
        v = vad_next(v);
        if (v != NULL && v->start_vpn > hi)
            v = NULL;
    }
}

/* Top-down: walk the free holes of [lo, hi] in decreasing order. */
static int vad_gap_high(const struct vad_tree *t, uint64_t lo, uint64_t hi,
                        uint64_t n_pages, uint64_t align, uint64_t *start_vpn)
{
    uint64_t cursor = hi;   /* highest page not yet known to be taken */
    const struct vad *v = vad_lookup_le(t, hi);

    if (v != NULL && v->end_vpn < lo)
        v = NULL;
    for (;;) {
        if (v == NULL || v->end_vpn < cursor) {
            uint64_t begin = lo;

            if (v != NULL && v->end_vpn + 1 > lo)
                begin = v->end_vpn + 1;
            if (vad_fit_high(begin, cursor, n_pages, align, start_vpn))
                return 1;
        }
        if (v == NULL || v->start_vpn <= lo)
            return 0;
        cursor = v->start_vpn - 1;
        v = vad_prev(v);
        if (v != NULL && v->end_vpn < lo)
            v = NULL;
    }
}

/* Overflow: v->start_vpn - 1 is taken only when start_vpn > cursor >= 0,
** and v->end_vpn + 1 only when end_vpn < cursor <= UINT64_MAX. */
int vad_find_gap(const struct vad_tree *t, uint64_t lo_vpn, uint64_t hi_vpn,
                 uint64_t n_pages, uint64_t align_pages, int top_down,
                 uint64_t *start_vpn)
{
    if (n_pages == 0 || align_pages == 0 || lo_vpn > hi_vpn)
        return 0;
    if (top_down)
        return vad_gap_high(t, lo_vpn, hi_vpn, n_pages, align_pages, start_vpn);
    return vad_gap_low(t, lo_vpn, hi_vpn, n_pages, align_pages, start_vpn);
}

/* Post-order without recursion: detach a leaf, free it, climb. */
void vad_tree_clear(struct vad_tree *t, void (*free_fn)(struct vad *v))
{
    struct vad *n = t->root;

    while (n != NULL) {
        if (n->left != NULL) {
            n = n->left;
        } else if (n->right != NULL) {
            n = n->right;
        } else {
            struct vad *parent = n->parent;

            if (parent != NULL) {
                if (parent->left == n)
                    parent->left = NULL;
                else
                    parent->right = NULL;
            }
            n->parent = NULL;
            n->height = 1;
            if (free_fn != NULL)
                free_fn(n);
            n = parent;
        }
    }
    vad_tree_init(t);
}

/* ---- vad_check ------------------------------------------------------ */

struct vad_check_ctx {
    const struct vad *prev;   /* last node visited in order */
    size_t n_seen;
    size_t n_limit;           /* the tree's count: more means VAD5 */
    char  *msg;
    size_t size;
};

static int vad_fail(struct vad_check_ctx *c, const char *inv,
                    const struct vad *n, const char *what)
{
    if (c->msg != NULL && c->size > 0)
        snprintf(c->msg, c->size, "%s: node 0x%" PRIx64 "-0x%" PRIx64 " %s",
                 inv, n->start_vpn, n->end_vpn, what);
    return -1;
}

/* Checks the subtree at n (whose parent must be parent) in order.
** Returns its height, or -1 with c->msg set. */
static int vad_check_node(struct vad_check_ctx *c, const struct vad *n,
                          const struct vad *parent, unsigned depth)
{
    char what[96];
    int hl, hr;

    if (n->parent != parent)
        return vad_fail(c, "VAD3", n, "parent link disagrees with its parent");
    if (depth >= VAD_MAX_DEPTH)
        return vad_fail(c, "VAD4", n, "too deep: cycle or unbalanced tree");
    if (++c->n_seen > c->n_limit) {
        snprintf(what, sizeof what, "beyond count %zu", c->n_limit);
        return vad_fail(c, "VAD5", n, what);
    }
    hl = n->left != NULL ? vad_check_node(c, n->left, n, depth + 1) : 0;
    if (hl < 0)
        return -1;
    if (n->start_vpn > n->end_vpn)
        return vad_fail(c, "VAD2", n, "starts after it ends");
    if (c->prev != NULL && c->prev->end_vpn >= n->start_vpn) {
        snprintf(what, sizeof what, "not after 0x%" PRIx64 "-0x%" PRIx64,
                 c->prev->start_vpn, c->prev->end_vpn);
        return vad_fail(c, "VAD1", n, what);
    }
    c->prev = n;
    hr = n->right != NULL ? vad_check_node(c, n->right, n, depth + 1) : 0;
    if (hr < 0)
        return -1;
    if (n->height != 1 + vad_max(hl, hr) || hl - hr > 1 || hr - hl > 1) {
        snprintf(what, sizeof what, "height %d, children %d/%d",
                 n->height, hl, hr);
        return vad_fail(c, "VAD4", n, what);
    }
    return n->height;
}

int vad_check(const struct vad_tree *t, char *msg, size_t size)
{
    struct vad_check_ctx c = { NULL, 0, t->count, msg, size };

    if (msg != NULL && size > 0)
        msg[0] = '\0';
    if (t->root != NULL && vad_check_node(&c, t->root, NULL, 0) < 0)
        return -1;
    if (c.n_seen != t->count) {
        if (msg != NULL && size > 0)
            snprintf(msg, size, "VAD5: count %zu but %zu nodes in the tree",
                     t->count, c.n_seen);
        return -1;
    }
    return 0;
}
