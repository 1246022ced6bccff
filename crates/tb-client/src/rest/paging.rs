//! Reading a listing page by page, within bounds.

use crate::error::Error;
use std::future::Future;
use tb_proto::entity::PageData;

/// Rows read from one listing at most: twice the building Atrium shows whole. A broken or hostile
/// server that always says `hasNext` stops being read here, with [`Error::TooManyRows`].
pub const MAX_LISTED_ROWS: usize = 250_000;
/// Pages read from one listing at most, however few rows each holds.
pub const MAX_LISTED_PAGES: u32 = 2_000;

/// Every row of a listing, `fetch(page)` from page 0: until the server says there is no next
/// page, a page comes back empty, or a bound is passed (an error naming `what` was cut).
pub(crate) async fn read_pages<T, F, Fut>(what: &'static str, mut fetch: F) -> Result<Vec<T>, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<PageData<T>, Error>>,
{
    let mut out = Vec::new();
    for page in 0..MAX_LISTED_PAGES {
        let data = fetch(page).await?;
        let empty = data.data.is_empty();
        out.extend(data.data);
        if out.len() > MAX_LISTED_ROWS {
            return Err(Error::TooManyRows { what, limit: MAX_LISTED_ROWS });
        }
        if !data.has_next || empty {
            return Ok(out);
        }
    }
    Err(Error::TooManyRows { what, limit: out.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(rows: usize, has_next: bool) -> PageData<u32> {
        PageData { data: vec![7; rows], total_pages: 1, total_elements: 1, has_next }
    }

    #[tokio::test]
    async fn a_server_that_always_has_more_is_read_to_a_bound_only() {
        let mut calls = 0;
        let err = read_pages("devices", |_| {
            calls += 1;
            async { Ok(page(1000, true)) }
        })
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "the server listed more than 250000 devices; the rest was not read");
        assert_eq!(calls, 251);

        let mut calls = 0;
        let err = read_pages("alarms", |_| {
            calls += 1;
            async { Ok(page(1, true)) }
        })
        .await
        .unwrap_err();
        assert!(matches!(err, Error::TooManyRows { what: "alarms", limit: 2000 }), "{err:?}");
        assert_eq!(calls, MAX_LISTED_PAGES);
    }

    #[tokio::test]
    async fn reading_stops_at_the_last_page_or_an_empty_one() {
        let rows = read_pages("assets", |n| async move { Ok(page(3, n < 2)) }).await.unwrap();
        assert_eq!(rows.len(), 9);
        let rows = read_pages("assets", |n| async move { Ok(page(if n == 0 { 2 } else { 0 }, true)) }).await;
        assert_eq!(rows.unwrap().len(), 2);
    }
}
