#include "mm.h"

#include "tlb.h"
#include "world.h"

struct mm_struct *mm_alloc(struct world *w)
{
	struct mm_struct *mm = world_alloc(w, sizeof(*mm));

	mm->id = w->nr_mm;
	lock_init(&mm->mmap_sem, LOCK_MMAP_SEM);
	for (int i = 0; i < NR_PMDS; i++) {
		lock_init(&mm->ptl[i], LOCK_PTL);
		lock_init(&mm->table_ptl[i], LOCK_PTL);
		mm->table_lock[i] = (unsigned char)i;
	}
	lock_init(&mm->page_table_lock, LOCK_PTL);
	return mm;
}

void mm_free(struct world *w, struct mm_struct *mm)
{
	if (mm->tlb)
		world_dealloc(w, mm->tlb, sizeof(*mm->tlb));
	world_dealloc(w, mm, sizeof(*mm));
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		if (v->vm_end > addr)
			return v;
	return NULL;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *v = find_vma(mm, addr);
	return v && v->vm_start <= addr ? v : NULL;
}

struct vm_area_struct *find_vma_prev_of(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *prev = NULL;
	for (struct vm_area_struct *v = mm->mmap; v && v->vm_end <= addr; v = v->vm_next)
		prev = v;
	return prev;
}

bool range_is_free(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *v = find_vma(mm, start);
	return !v || v->vm_start >= end;
}

struct vm_area_struct *vm_area_alloc(struct world *w, struct mm_struct *mm)
{
	struct vm_area_struct *v = world_alloc_kind(w, sizeof(*v), WORLD_OBJ_VMA);

	v->vm_mm = mm;
	v->id = w->next_vma_id++;
	INIT_LIST_HEAD(&v->anon_vma_chain);
	return v;
}

struct vm_area_struct *vm_area_dup(struct world *w, const struct vm_area_struct *vma)
{
	struct vm_area_struct *v = vm_area_alloc(w, vma->vm_mm);

	v->vm_start = vma->vm_start;
	v->vm_end = vma->vm_end;
	v->vm_pgoff = vma->vm_pgoff;
	v->vm_flags = vma->vm_flags;
	v->anon_vma = vma->anon_vma;
	return v;
}

void vm_area_free(struct world *w, struct vm_area_struct *vma)
{
	world_dealloc(w, vma, sizeof(*vma));
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = find_vma_prev_of(mm, vma->vm_start);
	struct vm_area_struct *next = prev ? prev->vm_next : mm->mmap;

	vma->vm_mm = mm;
	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;
	mm->map_count++;
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_prev)
		vma->vm_prev->vm_next = vma->vm_next;
	else
		mm->mmap = vma->vm_next;
	if (vma->vm_next)
		vma->vm_next->vm_prev = vma->vm_prev;
	vma->vm_next = vma->vm_prev = NULL;
	mm->map_count--;
}
