//! Datadog's limits, each defined once: what the Monitor and Events APIs accept, as recorded in
//! real traffic or published in their references. Every stage that checks or relies on one
//! names it from here.

/// Monitors a composite may reference ("Composite monitors": at most 10).
pub const MAX_COMPOSITE_CONSTITUENTS: usize = 10;

/// `page_size` of `GET /api/v1/monitor` (the Monitor API reference: at most 1000).
pub const MAX_MONITOR_PAGE_SIZE: u32 = 1000;

/// `page[limit]` of `GET /api/v2/events` (the Events API reference: at most 1000).
pub const MAX_EVENT_PAGE_LIMIT: u32 = 1000;

/// Characters in one tag ("Getting started with tags": at most 200).
pub const MAX_TAG_CHARS: usize = 200;
