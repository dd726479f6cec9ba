//! The HTTP side of the emulator: routes, auth, rate limiting, faults, persistence.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use super::clock;
use super::events;
use super::faults::{Dice, Fate, Fault, FaultConfig};
use super::host_guard;
use super::rate_limit::RateLimits;
use super::render;
use super::rules::Rejection;
use super::search::{self, Search};
use super::state_file::{self, Persistence};
use super::state_lock::{LockFailure, StateLock, lock_file_for};
use super::states::Status;
use super::store::{ListFilter, StateChange, Store};

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// 0 picks a free port.
    pub port: u16,
    /// Loopback unless explicitly asked otherwise.
    pub bind: IpAddr,
    /// Load from and save to this file (JSON); in memory only when `None`.
    pub state_file: Option<PathBuf>,
    /// At most this many requests per period, answered 429 beyond.
    pub rate_limit: Option<(u32, Duration)>,
    pub faults: FaultConfig,
    /// The `org_id` of an in-memory org (`None`: a random one). An org loaded from a state
    /// file keeps the id it has.
    pub org_id: Option<i64>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            state_file: None,
            rate_limit: None,
            faults: FaultConfig::default(),
            org_id: None,
        }
    }
}

/// One request the emulator answered (or cut off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub fault: Option<Fault>,
}

/// Why an emulator could not start.
#[derive(Debug)]
pub enum StartError {
    /// Another emulator (`monc emulator`, or `--org local` of another monc) uses the file.
    StateInUse {
        state_file: PathBuf,
        lock_file: PathBuf,
        /// e.g. "monc emulator (pid 1234)", when the holder could be read.
        holder: Option<String>,
    },
    /// The state file (or its lock file) cannot be read, or is not a state file.
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The address cannot be listened on.
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::StateInUse {
                state_file,
                lock_file,
                holder,
            } => write!(
                f,
                "state file {} is in use by {}, which holds {}; stop it first, or use another \
                 state file",
                state_file.display(),
                holder.as_deref().unwrap_or("another process"),
                lock_file.display()
            ),
            StartError::State { path, source } => {
                write!(f, "cannot use state file {}: {source}", path.display())
            }
            StartError::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::StateInUse { .. } => None,
            StartError::State { source, .. } | StartError::Listen { source, .. } => Some(source),
        }
    }
}

/// Entry point: `Emulator::start(config)`.
pub struct Emulator;

impl Emulator {
    /// Locks and loads the state file, binds, and serves in the background until the handle
    /// is shut down or dropped.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        // Through a link, the file it points at: that one is locked, read and replaced.
        let state_path = config
            .state_file
            .as_deref()
            .map(|path| {
                state_file::follow_links(path).map_err(|source| StartError::State {
                    path: path.to_path_buf(),
                    source,
                })
            })
            .transpose()?;
        let (state_lock, store) = match (&config.state_file, &state_path) {
            (Some(named), Some(path)) => {
                let state_lock = lock_state_file(named, path)?;
                let store = state_file::load(path).map_err(|source| StartError::State {
                    path: path.clone(),
                    source,
                })?;
                (Some(state_lock), store)
            }
            _ => {
                let mut store = Store::default();
                if let Some(org_id) = config.org_id {
                    store.set_org_id(org_id);
                }
                (None, store)
            }
        };
        let wanted = SocketAddr::new(config.bind, config.port);
        let listen_error = |source| StartError::Listen {
            addr: wanted,
            source,
        };
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(listen_error)?;
        let addr = listener.local_addr().map_err(listen_error)?;
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            dice: Dice::new(config.faults.seed),
            faults: Mutex::new(config.faults.clone()),
            scripted: Mutex::new(VecDeque::new()),
            rate: Mutex::new(config.rate_limit.map(RateLimits::new)),
            log: Mutex::new(Vec::new()),
            persistence: state_path.map(Persistence::new),
            bind: config.bind,
        });
        let flusher = shared
            .persistence
            .is_some()
            .then(|| tokio::spawn(save_when_changed(shared.clone())));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                // Not `eprintln!`: a closed stderr must not panic (monc embeds the emulator).
                let _ = writeln!(std::io::stderr(), "monc emulator: server error: {error}");
            }
        });
        Ok(EmulatorHandle {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
            flusher,
            _state_lock: state_lock,
        })
    }
}

/// Taken before the file is read, so no one else writes it while this emulator runs. `named`
/// is the state file as given, `real` the file it is once links are followed: the lock sits
/// beside the real one, so every name of it (a link, a chain of links) finds the same lock.
fn lock_state_file(
    named: &std::path::Path,
    real: &std::path::Path,
) -> Result<StateLock, StartError> {
    let lock_file = lock_file_for(real);
    StateLock::acquire(&lock_file).map_err(|failure| match failure {
        LockFailure::InUse { holder } => StartError::StateInUse {
            state_file: named.to_path_buf(),
            lock_file,
            holder,
        },
        LockFailure::Io(source) => StartError::State {
            path: lock_file,
            source,
        },
    })
}

/// A running emulator. Dropping it stops the server.
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    flusher: Option<tokio::task::JoinHandle<()>>,
    /// Released when the handle drops: fields drop after `Drop::drop`, so after the last save.
    _state_lock: Option<StateLock>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// e.g. `http://127.0.0.1:41234`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes in-flight requests, waits for the server to end and writes
    /// the state file.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        self.stop_flushing_and_save();
    }

    fn stop_flushing_and_save(&mut self) {
        if let Some(flusher) = self.flusher.take() {
            flusher.abort();
        }
        if let Err(error) = self.shared.flush() {
            // Not `eprintln!`: this runs in `drop`, where a panic on a closed stderr aborts.
            let _ = writeln!(std::io::stderr(), "monc emulator: {error}");
        }
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// All stored monitors, as `GET /api/v1/monitor/{id}?with_assets=true` renders them.
    pub fn monitors(&self) -> Vec<Value> {
        lock(&self.shared.store)
            .all()
            .into_iter()
            .map(|monitor| Value::Object(render::read_answer(monitor, true)))
            .collect()
    }

    /// One monitor, as `GET /api/v1/monitor/{id}?with_assets=true` renders it.
    pub fn monitor(&self, id: i64) -> Option<Value> {
        let monitor = lock(&self.shared.store).get(id).ok()?;
        Some(Value::Object(render::read_answer(monitor, true)))
    }

    /// Creates a monitor behind the API's back (e.g. one made by hand in the web UI).
    pub fn insert_monitor(&self, monitor: Value) -> Result<i64, String> {
        self.shared
            .apply(|store| store.insert_foreign(&monitor))
            .map(|(id, _)| id)
            .map_err(|rejection| rejection.errors.join("; "))
    }

    /// Edits a stored monitor behind the API's back (a hand edit in the UI); false if absent.
    pub fn edit_monitor(&self, id: i64, edit: impl FnOnce(&mut Map<String, Value>)) -> bool {
        self.shared
            .apply(|store| {
                if store.edit(id, edit) {
                    Ok(())
                } else {
                    Err(Rejection::not_found())
                }
            })
            .is_ok()
    }

    /// Mutes monitor `id` as a downtime would, until `end` (epoch seconds; `None`: no end):
    /// reads then show `options.silenced: {"*": end}`, as recorded. Mute state is not
    /// configuration: updates keep it and `modified` does not change. False if absent.
    pub fn mute_monitor(&self, id: i64, end: Option<i64>) -> bool {
        self.change(|store| store.set_silenced(id, json!({ "*": end })))
    }

    /// Mutes monitor `id` as downtimes on some scopes would: `silenced` maps each muted scope
    /// to its end (`{"env:test": null}`, as recorded in go-legacy's TestMonitorLifecycle
    /// listing). False if absent.
    pub fn mute_scopes(&self, id: i64, silenced: Map<String, Value>) -> bool {
        self.change(|store| store.set_silenced(id, Value::Object(silenced)))
    }

    /// Ends the mute set by `mute_monitor` (`options.silenced` back to `{}`).
    pub fn unmute_monitor(&self, id: i64) -> bool {
        self.change(|store| store.set_silenced(id, json!({})))
    }

    /// Monitor `id` was evaluated and is now in `state` ("OK", "Alert", "Warn", ...):
    /// `overall_state` and `overall_state_modified` change, `modified` does not. New monitors
    /// are "No Data" until then (as in every recorded create answer). False if absent.
    pub fn set_overall_state(&self, id: i64, state: &str) -> bool {
        self.change(|store| store.evaluate(id, state))
    }

    /// Emulator extension (also `POST /monc-emulator/v1/states`): these groups of these raw
    /// monitors are now in these states, within one evaluation cycle; composites follow.
    /// Refused as a whole when a monitor is missing or is a composite.
    pub fn set_states(&self, changes: &[StateChange]) -> Result<(), String> {
        self.set_states_at(changes, None)
    }

    /// [`EmulatorHandle::set_states`] at `at_ms` (milliseconds since the epoch; now when
    /// `None`), logged as monitor events of that time.
    pub fn set_states_at(&self, changes: &[StateChange], at_ms: Option<i64>) -> Result<(), String> {
        self.shared
            .apply(|store| store.set_states_at(changes, at_ms))
            .map(|_| ())
            .map_err(|rejection| rejection.errors.join("; "))
    }

    /// How many state transitions the event log holds.
    pub fn event_count(&self) -> usize {
        lock(&self.shared.store).events().len()
    }

    /// A change behind the API's back that reports whether the monitor existed.
    fn change(&self, change: impl FnOnce(&mut Store) -> bool) -> bool {
        self.shared
            .apply(|store| {
                if change(store) {
                    Ok(())
                } else {
                    Err(Rejection::not_found())
                }
            })
            .is_ok()
    }

    pub fn set_faults(&self, faults: FaultConfig) {
        *lock(&self.shared.faults) = faults;
    }

    /// The next requests (that pass auth and the rate limit) meet these fates, in order.
    pub fn script_fates(&self, fates: impl IntoIterator<Item = Fate>) {
        lock(&self.shared.scripted).extend(fates);
    }

    pub fn set_rate_limit(&self, rate_limit: Option<(u32, Duration)>) {
        *lock(&self.shared.rate) = rate_limit.map(RateLimits::new);
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.stop_flushing_and_save();
    }
}

struct Shared {
    store: Mutex<Store>,
    dice: Dice,
    faults: Mutex<FaultConfig>,
    /// Fates for the next requests, before the dice decide (deterministic tests).
    scripted: Mutex<VecDeque<Fate>>,
    rate: Mutex<Option<RateLimits>>,
    log: Mutex<Vec<RequestRecord>>,
    persistence: Option<Persistence>,
    /// The address listened on: which `Host` names the emulator answers depends on it.
    bind: IpAddr,
}

/// Background task: saves as soon as something changed. Changes made during a save wake it
/// again once (a `Notify` keeps one permit), so they all go into the next save.
async fn save_when_changed(shared: Arc<Shared>) {
    let Some(persistence) = &shared.persistence else {
        return;
    };
    loop {
        persistence.changed.notified().await;
        let shared = shared.clone();
        let _ = tokio::task::spawn_blocking(move || shared.flush()).await;
    }
}

impl Shared {
    /// A change made through the API: applied, then answered only once it is in the state
    /// file (at once without one). A failed save answers 500: like a 5xx from Datadog, the
    /// change may or may not have been made (it stays in memory and goes into the next save).
    /// Reads do not wait: one may show a change whose answer still waits for its save.
    async fn commit<T>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, Rejection>,
    ) -> Result<T, Rejection> {
        let (result, number) = self.apply(change)?;
        if let (Some(persistence), Some(number)) = (&self.persistence, number) {
            persistence
                .saved(number)
                .await
                .map_err(|message| Rejection {
                    status: 500,
                    errors: vec![message],
                })?;
        }
        Ok(result)
    }

    /// Applies a change and schedules saving it; returns the change's number when there is a
    /// state file. While the state file cannot be written, changes are refused with a 500
    /// naming the problem.
    fn apply<T>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, Rejection>,
    ) -> Result<(T, Option<u64>), Rejection> {
        if let Some(message) = self.persistence.as_ref().and_then(Persistence::failure) {
            return Err(Rejection {
                status: 500,
                errors: vec![message],
            });
        }
        let applied = {
            let mut store = lock(&self.store);
            let result = change(&mut store)?;
            let number = self.persistence.as_ref().map(Persistence::count_change);
            (result, number)
        };
        if let Some(persistence) = &self.persistence {
            persistence.changed.notify_one();
        }
        Ok(applied)
    }

    /// Writes the state file if anything changed since the last successful write.
    fn flush(&self) -> Result<(), String> {
        match &self.persistence {
            Some(persistence) => persistence.save(&self.store),
            None => Ok(()),
        }
    }

    fn read<T>(&self, read: impl FnOnce(&Store) -> Result<T, Rejection>) -> Result<T, Rejection> {
        read(&lock(&self.store))
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/monitor", get(list_monitors).post(create_monitor))
        .route("/api/v1/monitor/validate", post(validate_monitor))
        .route("/api/v1/monitor/can_delete", get(can_delete))
        .route("/api/v1/monitor/search", get(search_monitors))
        .route("/api/v1/monitor/groups/search", get(search_monitor_groups))
        .route(
            "/api/v1/monitor/{id}",
            get(get_monitor).put(update_monitor).delete(delete_monitor),
        )
        .route(
            "/api/v1/monitor/{id}/validate",
            post(validate_existing_monitor),
        )
        // Emulator extension, under a path Datadog does not have.
        .route(
            "/monc-emulator/v1/monitor/{id}/state",
            post(set_monitor_state),
        )
        .route("/monc-emulator/v1/states", post(set_many_states))
        .route("/api/v2/events", get(list_events))
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

type Params = Query<HashMap<String, String>>;
type Answer = Result<Response, Rejection>;

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(json!({ "errors": self.errors }))).into_response()
    }
}

fn ok(value: Value) -> Answer {
    Ok(axum::Json(value).into_response())
}

fn parse_body(body: &Bytes) -> Result<Value, Rejection> {
    // GUESS: wording for a body that is not JSON.
    serde_json::from_slice(body).map_err(|_| Rejection::bad_request("Invalid JSON"))
}

fn parse_id(raw: &str) -> Result<i64, Rejection> {
    raw.parse().map_err(|_| Rejection::not_found())
}

fn number_param(params: &HashMap<String, String>, name: &str) -> Result<Option<usize>, Rejection> {
    params
        .get(name)
        .map(|raw| {
            raw.trim().parse().map_err(|_| {
                // GUESS: wording for a page number that is not one.
                Rejection::bad_request(&format!("Invalid value for parameter '{name}'"))
            })
        })
        .transpose()
}

fn split_list(raw: Option<&String>) -> Vec<String> {
    raw.map(|raw| {
        raw.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect()
    })
    .unwrap_or_default()
}

/// Group states `group_states` may filter on.
const GROUP_STATES: &[&str] = &["all", "alert", "warn", "no data", "ok"];

/// The `group_states` parameter, lower-cased (empty when absent); recorded refusal otherwise.
fn group_states(params: &HashMap<String, String>) -> Result<Vec<String>, Rejection> {
    let states: Vec<String> = split_list(params.get("group_states"))
        .iter()
        .map(|state| state.to_lowercase())
        .collect();
    if states
        .iter()
        .any(|state| !GROUP_STATES.contains(&state.as_str()))
    {
        return Err(Rejection::bad_request("Invalid group_state filters."));
    }
    Ok(states)
}

async fn list_monitors(State(shared): State<Arc<Shared>>, Query(params): Params) -> Answer {
    let states = group_states(&params)?;
    let filter = ListFilter {
        monitor_tags: split_list(params.get("monitor_tags")),
        name: params.get("name").cloned(),
        page: number_param(&params, "page")?,
        page_size: number_param(&params, "page_size")?,
        id_offset: number_param(&params, "id_offset")?
            .map(|id| i64::try_from(id).unwrap_or(i64::MAX)),
    };
    let monitors = shared.read(|store| store.list(&filter))?;
    let rendered: Vec<Value> = monitors
        .into_iter()
        .map(|monitor| {
            let mut monitor = render::read_answer_with_states(monitor, false, &states);
            monitor.insert("matching_downtimes".into(), json!([]));
            Value::Object(monitor)
        })
        .collect();
    ok(Value::Array(rendered))
}

async fn get_monitor(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Params,
) -> Answer {
    let id = parse_id(&id)?;
    let with_assets = params.get("with_assets").is_some_and(|flag| flag == "true");
    // Recorded (go-legacy TestMonitorsGetErrors): an unknown id is a 404 whatever the
    // parameters; a bad `group_states` on a monitor that exists is refused as the listing does.
    let stored = shared.read(|store| store.get(id))?;
    let states = group_states(&params)?;
    let mut monitor = render::read_answer_with_states(stored, with_assets, &states);
    // GUESS (behaviour): `matching_downtimes` stays empty even for a monitor muted with
    // `mute_monitor` (the emulator keeps no downtime objects).
    if params
        .get("with_downtimes")
        .is_some_and(|flag| flag == "true")
    {
        monitor.insert("matching_downtimes".into(), json!([]));
    }
    ok(Value::Object(monitor))
}

async fn create_monitor(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let request = parse_body(&body)?;
    let monitor = shared.commit(|store| store.create(&request)).await?;
    ok(Value::Object(render::write_answer(monitor)))
}

async fn update_monitor(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let id = parse_id(&id)?;
    let request = parse_body(&body)?;
    let mut monitor = shared.commit(|store| store.update(id, &request)).await?;
    // Recorded PUT answers carry no `creator`.
    monitor.remove("creator");
    ok(Value::Object(render::write_answer(monitor)))
}

async fn delete_monitor(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Params,
) -> Answer {
    let id = parse_id(&id)?;
    let force = params.get("force").is_some_and(|flag| flag == "true");
    ok(shared.commit(|store| store.delete(id, force)).await?)
}

async fn validate_monitor(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let request = parse_body(&body)?;
    shared.read(|store| store.validate_new(&request))?;
    ok(json!({}))
}

async fn validate_existing_monitor(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let id = parse_id(&id)?;
    let request = parse_body(&body)?;
    shared.read(|store| store.validate_update(id, &request))?;
    ok(json!({}))
}

/// The documented search parameters: `query`, `page` (from 0), `per_page` (default 30), `sort`.
fn search_params(params: &HashMap<String, String>) -> Result<Search, Rejection> {
    Ok(Search {
        query: params.get("query").cloned().unwrap_or_default(),
        page: number_param(params, "page")?.unwrap_or(0),
        per_page: number_param(params, "per_page")?.unwrap_or(30),
        sort: params.get("sort").cloned(),
    })
}

async fn search_monitors(State(shared): State<Arc<Shared>>, Query(params): Params) -> Answer {
    let wanted = search_params(&params)?;
    ok(shared.read(|store| search::monitors(&store.all(), &wanted))?)
}

async fn search_monitor_groups(State(shared): State<Arc<Shared>>, Query(params): Params) -> Answer {
    let wanted = search_params(&params)?;
    ok(shared.read(|store| search::groups(&store.all(), &wanted))?)
}

async fn can_delete(State(shared): State<Arc<Shared>>, Query(params): Params) -> Answer {
    let ids: Result<Vec<i64>, _> = split_list(params.get("monitor_ids"))
        .iter()
        .map(|id| id.parse())
        .collect();
    // GUESS: wording for malformed ids.
    let ids = ids.map_err(|_| Rejection::bad_request("Invalid monitor_ids"))?;
    if ids.is_empty() {
        // Recorded (go-legacy TestMonitorCanDeleteErrors/400_Bad_Request), for `monitor_ids=`.
        return Err(Rejection::bad_request("monitor_ids are required"));
    }
    let (answer, conflict) = shared.read(|store| Ok(store.can_delete(&ids)))?;
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(answer)).into_response())
}

/// Body of `POST /monc-emulator/v1/monitor/{id}/state`: `{"state": "Alert"}` for the whole
/// monitor, `{"group": "host:a", "state": "Alert"}` for one group.
#[derive(serde::Deserialize)]
struct StateRequest {
    #[serde(default)]
    group: Option<String>,
    state: String,
    /// Only in `POST /monc-emulator/v1/states`.
    #[serde(default)]
    monitor_id: Option<i64>,
}

fn state_change(monitor_id: i64, request: StateRequest) -> Result<StateChange, Rejection> {
    let status = Status::parse(&request.state).ok_or_else(|| {
        Rejection::bad_request(&format!(
            "state {:?} is not one of \"OK\", \"Warn\", \"Alert\", \"No Data\"",
            request.state
        ))
    })?;
    let group = request
        .group
        .map(|group| group.trim().to_owned())
        .filter(|group| !group.is_empty());
    Ok(StateChange {
        monitor_id,
        group,
        status,
    })
}

fn parse_state_request<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Rejection> {
    serde_json::from_slice(body).map_err(|error| {
        Rejection::bad_request(&format!(
            "expected {{\"state\": \"Alert\"}} or {{\"group\": \"host:a\", \"state\": \"Alert\"}}: {error}"
        ))
    })
}

/// Emulator extension: one monitor (or one of its groups) is now in a state. Answers the
/// monitor as `GET /api/v1/monitor/{id}?group_states=all` shows it.
async fn set_monitor_state(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let id = parse_id(&id)?;
    let change = state_change(id, parse_state_request(&body)?)?;
    shared.commit(|store| store.set_states(&[change])).await?;
    let stored = shared.read(|store| store.get(id))?;
    let all = ["all".to_owned()];
    ok(Value::Object(render::read_answer_with_states(
        stored, false, &all,
    )))
}

/// Emulator extension: `{"states": [{"monitor_id": 1, "group": "host:a", "state": "Alert"},
/// ...]}`, all within one evaluation cycle (composites see them together).
async fn set_many_states(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    #[derive(serde::Deserialize)]
    struct Many {
        states: Vec<StateRequest>,
        /// When the states took hold, in milliseconds since the epoch (now when absent): a
        /// drill lays down a month of history with it.
        #[serde(default)]
        at_ms: Option<i64>,
    }
    let many: Many = parse_state_request(&body)?;
    let at_ms = many.at_ms;
    let changes = many
        .states
        .into_iter()
        .map(|request| {
            let id = request
                .monitor_id
                .ok_or_else(|| Rejection::bad_request("every state needs a monitor_id"))?;
            state_change(id, request)
        })
        .collect::<Result<Vec<_>, _>>()?;
    shared
        .commit(|store| store.set_states_at(&changes, at_ms))
        .await?;
    ok(json!({ "changed": changes.len() }))
}

/// `GET /api/v2/events`: the log of state transitions (see `events`).
async fn list_events(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    let query = events::EventQuery::parse(&params, clock::now().millis)?;
    let mut pairs: Vec<(String, String)> = params.into_iter().collect();
    pairs.sort();
    // GUESS (behaviour): `links.next` names the host the request was sent to.
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let base = format!("http://{host}");
    let page = shared.read(|store| {
        let monitor = |id: i64| store.monitor(id).cloned();
        Ok(events::page(
            store.events(),
            &query,
            &monitor,
            &base,
            &pairs,
        ))
    })?;
    ok(page)
}

/// GUESS: the body Datadog sends for a path it does not have.
async fn unknown_route() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"errors": ["Not Found"]})),
    )
        .into_response()
}

/// Auth, rate limit and faults around every request, and the request log.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let (response, fault) = guarded(&shared, request, next).await;
    lock(&shared.log).push(RequestRecord {
        method,
        path,
        query,
        status: response.status().as_u16(),
        fault,
    });
    response
}

async fn guarded(shared: &Shared, request: Request, next: Next) -> (Response, Option<Fault>) {
    if let Some(refusal) = misaddressed(&request, shared.bind) {
        return (refusal.into_response(), None);
    }
    if !has_keys(request.headers()) {
        // GUESS (behaviour): any non-empty pair of keys is accepted (the emulator has no
        // accounts); only a request without them is refused.
        return (forbidden(), None);
    }
    let (method, path) = (request.method().as_str(), request.uri().path());
    let decision = lock(&shared.rate)
        .as_mut()
        .map(|limits| limits.admit(method, path));
    let rate_headers = decision
        .as_ref()
        .map(|decision| decision.headers.clone())
        .unwrap_or_default();
    if decision.is_some_and(|decision| !decision.allowed) {
        let mut response = rate_limited_response(lock(&shared.faults).html_429);
        response.headers_mut().extend(rate_headers);
        return (response, Some(Fault::RateLimited));
    }
    let faults = lock(&shared.faults).clone();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let scripted = lock(&shared.scripted).pop_front();
    let fate = scripted.unwrap_or_else(|| faults.fate(&shared.dice));
    let (mut response, fault) = match fate {
        Fate::Serve => (next.run(request).await, None),
        Fate::ServerError(status) => {
            let rejection = Rejection {
                status,
                errors: vec!["Internal Server Error".into()],
            };
            (rejection.into_response(), Some(Fault::ServerError))
        }
        Fate::Reset => (cut_connection(), Some(Fault::Reset)),
        Fate::DropAfterCommit => {
            let _committed = next.run(request).await;
            (cut_connection(), Some(Fault::DroppedAfterCommit))
        }
    };
    response.headers_mut().extend(rate_headers);
    (response, fault)
}

/// Recorded on every endpoint for keys the org refuses (go-legacy `*/403_Forbidden`), the same
/// body from Datadog's front proxy, without rate-limit headers.
fn forbidden() -> Response {
    let body = json!({"status": "error", "code": 403, "errors": ["Forbidden"],
        "statuspage": "http://status.datadoghq.com", "twitter": "http://twitter.com/datadogops",
        "email": "support@datadoghq.com"});
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

fn rate_limited_response(html: bool) -> Response {
    if html {
        let page = "<html><body><h1>429 Too Many Requests</h1></body></html>";
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "text/html")],
            page,
        )
            .into_response();
    }
    // GUESS: wording of the JSON 429 body.
    Rejection {
        status: 429,
        errors: vec!["Rate limit exceeded".into()],
    }
    .into_response()
}

/// Not Datadog behaviour: the emulator's own guard against DNS rebinding (see `host_guard`).
/// Every name the request gives its server must be admitted: `Host`, and the authority of an
/// HTTP/2 request or an absolute URL. A request naming none is refused too (browsers always
/// send `Host`, and so does every HTTP/1.1 client). Answered 421 Misdirected Request, meant
/// for another server; a 403 would read as wrong keys.
fn misaddressed(request: &Request, bind: IpAddr) -> Option<Rejection> {
    let header = request
        .headers()
        .get(axum::http::header::HOST)
        .map(|host| host.to_str().unwrap_or_default());
    let authority = request
        .uri()
        .authority()
        .map(|authority| authority.as_str());
    let named: Vec<&str> = header.into_iter().chain(authority).collect();
    if !named.is_empty() && named.iter().all(|host| host_guard::admits(host, bind)) {
        return None;
    }
    let given = named
        .iter()
        .map(|host| format!("`{host}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Rejection {
        status: 421,
        errors: vec![format!(
            "the monc emulator answers only requests addressed to 127.0.0.1, [::1] or \
             localhost, not {}; use one of those in the URL",
            if given.is_empty() { "none" } else { &given }
        )],
    })
}

fn has_keys(headers: &HeaderMap) -> bool {
    let present = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| !value.trim().is_empty())
    };
    present("dd-api-key") && present("dd-application-key")
}

/// A response whose body fails at once: hyper then closes the connection before the answer
/// is complete, which the client sees as a connection cut mid-exchange.
fn cut_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault injection: connection cut",
        ))
    });
    Response::new(Body::from_stream(failing))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Handlers never leave the state half-changed while holding a lock: recover from poison.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
