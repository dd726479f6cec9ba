//! Datadog Monitor API (v1) client. CONTRACT: see issue 3.
