/* Page tables of one mm, in a reduced geometry.
 *
 * Abstraction: a pte table holds HPAGE_PMD_NR = 4 ptes (the kernel: 512), so a
 * THP is 4 small pages and a pmd maps 16 KiB; an mm has NR_PMDS pmd slots and
 * no upper levels (pgd/pud are always present in the kernel paths we model).
 * Addresses keep the kernel's units (bytes, PAGE_SIZE 4 KiB) so traces read
 * naturally. Nothing in the rmap protocol depends on the table size: every
 * race involves one pmd or a few ptes at a time.
 */
#ifndef RMAP_PGTABLE_H
#define RMAP_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define HPAGE_PMD_ORDER 2
#define HPAGE_PMD_NR (1 << HPAGE_PMD_ORDER)
#define PTRS_PER_PTE HPAGE_PMD_NR
#define PMD_SHIFT (PAGE_SHIFT + HPAGE_PMD_ORDER)
#define PMD_SIZE (1UL << PMD_SHIFT)
#define HPAGE_PMD_SIZE PMD_SIZE
#define PMD_MASK (~(PMD_SIZE - 1))
#define NR_PMDS 16
#define TASK_SIZE ((unsigned long)NR_PMDS * PMD_SIZE)

typedef unsigned long pgoff_t;

struct page;

enum pte_kind { PTE_NONE, PTE_PRESENT, PTE_MIGRATION };

/* A present pte maps page; a migration entry names the page being migrated
 * (the kernel encodes its pfn in a swap entry). write is pte_write() (a
 * migration entry's is_write_migration_entry()): fork write-protects both
 * sides of a private mapping, and a write fault on a write-protected entry
 * is a COW (do_wp_page), as one is after mprotect (a private vma's ptes
 * are PAGE_COPY, write-protected, whatever its VM_WRITE). Model
 * abstraction: every vma is private; no other protection bit is kept. */
struct pte {
	uint8_t kind;
	bool write;
	struct page *page;
};

enum pmd_kind { PMD_NONE, PMD_TABLE, PMD_HUGE };

/* A pmd is none, a pte table (ptes inline: the table's lifetime is the pmd's),
 * or a huge pmd mapping a THP head, possibly with the splitting bit; write
 * is a huge pmd's pmd_write(). */
struct pmd {
	uint8_t kind;
	bool splitting;
	bool write;
	struct page *page;
	struct pte pte[PTRS_PER_PTE];
};

static inline unsigned long pmd_index(unsigned long addr) { return addr >> PMD_SHIFT; }
static inline unsigned long pte_index(unsigned long addr) { return (addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1); }
static inline unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long next = (addr + PMD_SIZE) & PMD_MASK;
	return next < end ? next : end;
}

/* Write a pmd whole: none, an empty pte table (__pte_alloc), or a huge pmd
 * mapping page. Not a struct assignment: a pmd is 80 bytes, which ASan
 * checks by an out-of-line call, and page tables change at most steps. */
static inline void set_pmd(struct pmd *pmd, enum pmd_kind kind, struct page *page)
{
	mem_zero(pmd, sizeof(*pmd));
	pmd->kind = (uint8_t)kind;
	pmd->page = page;
}

static inline bool pmd_none(const struct pmd *p) { return p->kind == PMD_NONE; }
static inline bool pmd_trans_huge(const struct pmd *p) { return p->kind == PMD_HUGE; }
static inline bool pmd_trans_splitting(const struct pmd *p) { return p->kind == PMD_HUGE && p->splitting; }
static inline bool pte_write(const struct pte *p) { return p->write; }
static inline bool pmd_write(const struct pmd *p) { return p->write; }

#endif
