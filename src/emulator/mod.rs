//! Local emulator of the Datadog Monitor API (v1). CONTRACT: see issue 3.
