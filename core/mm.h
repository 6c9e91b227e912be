/* mm_struct and vm_area_struct: address spaces, their vmas and page tables. */
#ifndef RMAP_MM_H
#define RMAP_MM_H

#include "list.h"
#include "lock.h"
#include "pgtable.h"

struct anon_vma;
struct tlb;
struct world;

/* The vm_flags the model reads, by the kernel's names and values. Of the
 * protection bits only those mprotect changes: is_mergeable_vma() compares
 * the whole word, so they decide merges; the kernel's other flags are
 * equal on every vma the model makes (VM_ACCOUNT is set by every private
 * writable mmap and survives mprotect), so they never tell two vmas apart,
 * but for the stack exec sets up. */
#define VM_READ 0x1UL
#define VM_WRITE 0x2UL
#define VM_GROWSDOWN 0x100UL
#define VM_SEQ_READ 0x8000UL
#define VM_RAND_READ 0x10000UL
/* exec's stack until setup_arg_pages is done */
#define VM_STACK_INCOMPLETE_SETUP (VM_RAND_READ | VM_SEQ_READ)

struct vm_area_struct {
	unsigned long vm_start, vm_end;	/* [vm_start, vm_end) */
	pgoff_t vm_pgoff;
	unsigned long vm_flags;		/* VM_READ, VM_WRITE; exec's stack flags */
	struct mm_struct *vm_mm;
	struct vm_area_struct *vm_next, *vm_prev;	/* address order */
	struct anon_vma *anon_vma;	/* the vma's own: new pages map to it */
	struct list_head anon_vma_chain;	/* avcs, newest first */
	bool rmap_templist;		/* its avcs go on the templist until flushed */
	unsigned long id;		/* for traces */
};

/* exec's stack while shift_arg_pages may move it (a8bef8ff6ea1). */
static inline bool is_vma_temporary_stack(const struct vm_area_struct *v)
{
	return (v->vm_flags & VM_GROWSDOWN) &&
	       (v->vm_flags & VM_STACK_INCOMPLETE_SETUP) == VM_STACK_INCOMPLETE_SETUP;
}

static inline unsigned long vma_pages(const struct vm_area_struct *v)
{
	return (v->vm_end - v->vm_start) >> PAGE_SHIFT;
}

/* Model abstraction: one lock per pmd slot serves as the PMD lock of a huge
 * pmd and as the PTE lock of the table under it (the kernel: split PTE locks
 * per table, PMD locks per pmd page). Every model step takes the lock of the
 * slot it touches, so this only adds exclusion where the kernel would take
 * the PMD lock and then the PTE lock of the same range. Before split PMD
 * locks (3.13), huge pmds were under the mm's page_table_lock: the rows of
 * those kernels take that lock instead (huge_pmd_lockptr, ops.h).
 *
 * A row whose mremap moves whole pte tables (move_normal_pmd) needs the PTE
 * lock to be the table's, as the kernel's is (it lives in the table's
 * struct page): a table moved to another slot keeps its lock, even held.
 * Its rows (split_ptlocks) take table_ptl[table_lock[slot]] for ptes
 * (pte_lockptr, ops.h) and the slot's lock for the pmd; table_lock is a
 * permutation, the identity until a move swaps the two slots' entries. */
struct mm_struct {
	int id;
	struct vm_area_struct *mmap;	/* sorted, non-overlapping */
	int map_count;
	struct lock mmap_sem;
	struct pmd pmd[NR_PMDS];
	struct lock ptl[NR_PMDS];
	struct lock page_table_lock;	/* huge pmds, 3.12 and before */
	struct lock table_ptl[NR_PMDS];	/* split_ptlocks: the pte tables' own locks */
	unsigned char table_lock[NR_PMDS];	/* the table_ptl of the table in each slot */
	/* do_munmap's detached vmas: out of mmap, still in the anon_vma
	 * indexes until unlink_anon_vmas (kept here for the checker). */
	struct vm_area_struct *detached;
	bool exited;			/* exit_mmap began: no operation names it again */
	struct tlb *tlb;		/* its CPUs' translations (tlb.h), NULL until an access */
};

struct mm_struct *mm_alloc(struct world *w);
void mm_free(struct world *w, struct mm_struct *mm);

static inline struct pmd *mm_pmd(struct mm_struct *mm, unsigned long addr) { return &mm->pmd[pmd_index(addr)]; }
static inline struct lock *pmd_lockptr(struct mm_struct *mm, unsigned long addr) { return &mm->ptl[pmd_index(addr)]; }
/* The slot whose table has table_ptl[id] (split_ptlocks): where a table
 * found by its pmd before a move is now. */
static inline unsigned long table_slot(const struct mm_struct *mm, unsigned char id)
{
	unsigned long s = 0;
	while (s < NR_PMDS - 1 && mm->table_lock[s] != id)
		s++;
	return s;
}

/* First vma with vm_end > addr, or NULL. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* The vma containing addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
/* The last vma ending at or before addr (find_vma_links' prev). */
struct vm_area_struct *find_vma_prev_of(struct mm_struct *mm, unsigned long addr);
/* True when no vma intersects [start, end). */
bool range_is_free(struct mm_struct *mm, unsigned long start, unsigned long end);

struct vm_area_struct *vm_area_alloc(struct world *w, struct mm_struct *mm);
/* A copy of vma's fields with an empty chain (*new = *vma in the kernel). */
struct vm_area_struct *vm_area_dup(struct world *w, const struct vm_area_struct *vma);
void vm_area_free(struct world *w, struct vm_area_struct *vma);
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);

/* The vma containing addr, mapped or detached by a munmap under way
 * (inline: the oracle asks at every entry change a walk may care about). */
static inline struct vm_area_struct *vma_covering(struct mm_struct *mm, unsigned long addr)
{
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		if (v->vm_start <= addr && addr < v->vm_end)
			return v;
	for (struct vm_area_struct *v = mm->detached; v; v = v->vm_next)
		if (v->vm_start <= addr && addr < v->vm_end)
			return v;
	return NULL;
}

/* vma_address(): where vma maps page index pgoff. */
static inline unsigned long vma_address_of(const struct vm_area_struct *v, pgoff_t pgoff)
{
	return v->vm_start + ((pgoff - v->vm_pgoff) << PAGE_SHIFT);
}
static inline pgoff_t linear_page_index(const struct vm_area_struct *v, unsigned long addr)
{
	return v->vm_pgoff + ((addr - v->vm_start) >> PAGE_SHIFT);
}

#endif
