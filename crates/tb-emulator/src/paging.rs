//! Slicing a sorted list into ThingsBoard's `PageData`.

use tb_proto::entity::PageData;

/// One page of already sorted rows: `totalPages = ceil(total / pageSize)`, `hasNext` when rows remain.
pub(crate) fn page_of<T>(page_size: usize, page: usize, rows: Vec<T>) -> PageData<T> {
    let total = rows.len();
    let start = page.saturating_mul(page_size).min(total);
    let end = start.saturating_add(page_size).min(total);
    let data: Vec<T> = rows.into_iter().skip(start).take(end - start).collect();
    PageData {
        total_pages: total.div_ceil(page_size.max(1)) as i64,
        total_elements: total as i64,
        has_next: total > end,
        data,
    }
}
