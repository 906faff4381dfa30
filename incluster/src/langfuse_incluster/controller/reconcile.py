"""The reconcile, as a pure function: what is known about one tenant (its spec, its status, its Secret, what
Langfuse answered so far in this pass) -> the next action. `run_pass` drives it against the two clients
until it says Finish.

Level-triggered and crash-safe without writing anything but the final status: every step can be repeated,
and what a crash forgets is found again in Langfuse (our projects carry our metadata, our keys our note) and
in the Secret (which holds the only copy of a key's secret). Hence:
- a key is created (with a preset value) before the Secret is switched to it, and an old key is deleted
  only after the Secret has switched and the overlap has passed: at every instant the Secret's key is valid;
- every path that creates a key lists the project's keys first (unless the project was created in this very
  pass), so a key orphaned by a crash is deleted, or adopted when the Secret already holds it;
- a project is created once: a 409 on its name makes the pass look it up and adopt it if it is ours.

Facts from Langfuse v4.16.0 (langfuse/langfuse, tag v4.16.0):
- project names: 3-60 characters, no HTML (web/src/features/auth/lib/projectNameSchema.ts);
- retention: an integer, 0 or >= 3 days (web/src/features/auth/lib/projectRetentionSchema.ts); non-zero needs
  the data-retention entitlement (ee/features/admin-api/server/projects/createProject.ts);
- a duplicate name in the organisation answers 409 (createProject.ts);
- preset keys must start with pk-lf- / sk-lf- (ee/features/admin-api/server/projects/projectById/apiKeys/index.ts).
"""

from __future__ import annotations

import secrets as random_secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel

from langfuse_incluster.blob_exports import ExportTarget
from langfuse_incluster.budget import BudgetDefaults, EffectiveBudget
from langfuse_incluster.controller.models import Condition, KeyStatus, LangfuseSpec, LangfuseStatus

NAME_MIN, NAME_MAX = 3, 60
METADATA_MANAGED_BY = "langfuse-rosa-tenant-controller"


def key_note(namespace: str) -> str:
    """The note on every key the controller creates: how it recognises its own keys after a crash."""
    return f"{METADATA_MANAGED_BY}: {namespace}"


def project_metadata(namespace: str) -> dict[str, str]:
    return {"managedBy": METADATA_MANAGED_BY, "namespace": namespace}


def _created_for(project: ProjectView, namespace: str) -> bool:
    """The project carries the metadata this controller gives the projects it creates for `namespace`."""
    return project.metadata == project.metadata | project_metadata(namespace)


# --- what is known -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    mode: Literal["per-project", "shared"]
    public_host: str  # what langfuse-keys tells the SDKs
    rotation: timedelta
    overlap: timedelta
    deletion_policy: Literal["Retain", "Delete"] = "Retain"
    default_budget: BudgetDefaults | None = None  # the stack's; None: the usage exporter is not deployed
    export: ExportTarget | None = None  # per-project mode: each project's blob export (None: exports off)

    def rotation_for(self, spec: LangfuseSpec) -> timedelta:
        """A namespace's rotation period: its own rotationDays, else the controller's."""
        return self.rotation if spec.rotation_days is None else timedelta(days=spec.rotation_days)


@dataclass(frozen=True)
class SecretView:
    managed: bool  # carries our managed-by label
    public_key: str | None
    secret_key: str | None = field(repr=False)
    host: str | None
    base_url: str | None
    key_id: str | None
    project_id: str | None


@dataclass(frozen=True)
class ProjectView:
    id: str
    name: str
    metadata: dict


@dataclass(frozen=True)
class KeyView:
    id: str
    public_key: str
    note: str | None


@dataclass(frozen=True)
class SharedProject:
    id: str
    name: str
    retention_days: int | None
    public_key: str
    secret_key: str = field(repr=False)


@dataclass
class Known:
    """One tenant as known in one pass. `projects` and `keys` are None until read in this pass."""

    namespace: str
    spec: LangfuseSpec
    status: LangfuseStatus
    now: datetime
    generation: int | None = None
    rotate_token: str | None = None
    deleting: bool = False
    spec_error: str | None = None
    budget: EffectiveBudget | None = None  # what spec.langfuse.budget (or the stack default) gives
    secret: SecretView | None = None
    projects: tuple[ProjectView, ...] | None = None
    keys: tuple[KeyView, ...] | None = None
    keys_of: str | None = None  # the project `keys` belong to
    project_created_now: bool = False
    create_conflict: bool = False  # the create answered 409
    shared: SharedProject | None = None
    pending_key: tuple[str, str] | None = field(default=None, repr=False)  # (public, secret) created in Langfuse, not yet in the Secret
    pending_key_id: str | None = None
    retention_refused: str | None = None
    export_refused: str | None = None  # Langfuse refused the export's configuration in this pass
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


# --- actions -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadProjects:
    pass


@dataclass(frozen=True)
class ReadKeys:
    project_id: str


@dataclass(frozen=True)
class ReadSharedProject:
    pass


@dataclass(frozen=True)
class CreateProject:
    name: str
    retention_days: int
    metadata: dict


@dataclass(frozen=True)
class SetRetention:
    project_id: str
    name: str
    retention_days: int


@dataclass(frozen=True)
class CreateKey:
    project_id: str
    public_key: str
    secret_key: str = field(repr=False)
    note: str


@dataclass(frozen=True)
class DeleteKey:
    project_id: str
    key_id: str


@dataclass(frozen=True)
class DeleteProject:
    project_id: str


@dataclass(frozen=True)
class ConfigureExport:
    project_id: str
    body: dict  # CreateBlobStorageIntegrationRequest
    digest: str


@dataclass(frozen=True)
class DeleteExport:
    project_id: str


@dataclass(frozen=True)
class WriteSecret:
    public_key: str
    secret_key: str = field(repr=False)
    host: str
    key_id: str
    project_id: str


@dataclass(frozen=True)
class DeleteSecret:
    pass


@dataclass(frozen=True)
class Finish:
    status: LangfuseStatus


Action = (
    ReadProjects | ReadKeys | ReadSharedProject | CreateProject | SetRetention | CreateKey | DeleteKey | DeleteProject
    | ConfigureExport | DeleteExport | WriteSecret | DeleteSecret | Finish
)
LANGFUSE_WRITES = (CreateProject, SetRetention, CreateKey, DeleteKey, DeleteProject, ConfigureExport, DeleteExport)


def new_key_pair() -> tuple[str, str]:
    """Preset values, so nothing depends on reading a secret back (the prefixes Langfuse requires)."""
    return f"pk-lf-{uuid.uuid4()}", f"sk-lf-{random_secrets.token_hex(24)}"


# --- the decision ------------------------------------------------------------------------------------------


def decide(k: Known, s: Settings, key_pair=new_key_pair) -> Action:
    if k.spec_error is not None:
        return _refuse(k, "InvalidSpec", k.spec_error)
    spec = k.spec
    if k.secret is not None and not k.secret.managed and spec.enabled and not k.deleting:
        return _refuse(
            k, "SecretConflict",
            f"namespace {k.namespace} already has a Secret langfuse-keys that this controller did not write; "
            "it is left alone: delete or rename it to let the controller manage Langfuse keys here",
        )
    if not spec.enabled or k.deleting:
        return _offboard(k, s)
    if spec.retention_days is not None and 0 < spec.retention_days < 3:
        return _refuse(k, "InvalidRetention", f"retentionDays {spec.retention_days}: Langfuse accepts 0 (keep forever) or at least 3 days")
    if s.mode == "shared":
        return _shared(k, s)
    return _per_project(k, s, key_pair)


def _per_project(k: Known, s: Settings, key_pair) -> Action:
    spec, status = k.spec, k.status
    # 1. The project.
    if spec.project_id is not None and status.project_id != spec.project_id:
        if k.projects is None:
            return ReadProjects()
        match = next((p for p in k.projects if p.id == spec.project_id), None)
        if match is None:
            return _refuse(
                k, "ProjectNotFound",
                f"spec.langfuse.projectId {spec.project_id} is not a project the organisation key can see; nothing was changed",
            )
        k.status = status = _switch_project(status, match, created=False, now=k.now)
        k.events.append(Event("Normal", "ProjectAdopted", f"adopted Langfuse project {match.name} ({match.id})"))
    elif status.project_id is None:
        name = k.namespace
        if not NAME_MIN <= len(name) <= NAME_MAX or "<" in name or ">" in name:
            return _refuse(
                k, "InvalidProjectName",
                f"namespace {name} gives the Langfuse project name {name!r}, but Langfuse needs {NAME_MIN}-{NAME_MAX} characters "
                "without HTML; set spec.langfuse.projectId to adopt an existing project instead",
            )
        if not k.create_conflict:
            return CreateProject(name, spec.retention_days or 0, project_metadata(k.namespace))
        if k.projects is None:
            return ReadProjects()
        match = next((p for p in k.projects if p.name == name), None)
        if match is None or not _created_for(match, k.namespace):
            return _refuse(
                k, "ProjectNameTaken",
                f"a Langfuse project named {name!r} already exists and was not created for this namespace; "
                "set spec.langfuse.projectId to adopt it, or rename it",
            )
        k.status = status = _switch_project(status, match, created=True, now=k.now)
    project_id = status.project_id
    assert project_id is not None

    # 2. Retention (only when the spec asks for a value; None leaves the project alone).
    wanted = spec.retention_days
    if wanted is not None and status.retention_days != wanted and k.retention_refused is None:
        return SetRetention(project_id, status.project_name or k.namespace, wanted)

    # 3. Keys.
    keys_known = k.keys is not None and k.keys_of == project_id
    listed = {key.id: key for key in k.keys or ()} if keys_known else None
    current = status.current_key
    secret = k.secret
    secret_holds_current = bool(
        current is not None and current.project_id == project_id and secret is not None
        and secret.key_id == current.id and secret.public_key == current.public_key and secret.secret_key
    )
    if listed is not None:
        # What a crash may have left: the current key deleted elsewhere, retired keys already gone, orphans.
        if current is not None and current.project_id == project_id and current.id not in listed:
            k.status = status = replace(status, current_key=None)
            current, secret_holds_current = None, False
        kept = tuple(r for r in status.retiring_keys if r.project_id != project_id or r.id in listed)
        if kept != status.retiring_keys:
            k.status = status = replace(status, retiring_keys=kept)
        if not secret_holds_current and secret is not None and secret.managed and secret.key_id in listed and secret.secret_key:
            adopted = listed[secret.key_id]
            if adopted.public_key == secret.public_key and secret.project_id == project_id:
                # A crash after the Secret switched: the key in it wins (and stands for a rotation asked for before).
                k.status = status = replace(
                    _promote(status, KeyStatus(id=adopted.id, public_key=adopted.public_key, project_id=project_id, created_at=k.now), k.now),
                    rotate_token=k.rotate_token,
                )
                current, secret_holds_current = status.current_key, True
        known_ids = {r.id for r in status.retiring_keys} | ({current.id} if current else set()) | ({k.pending_key_id} if k.pending_key_id else set())
        for key in listed.values():
            if key.note == key_note(k.namespace) and key.id not in known_ids:
                return DeleteKey(project_id, key.id)

    if k.pending_key is not None:
        public, secret_value = k.pending_key
        assert k.pending_key_id is not None
        return WriteSecret(public, secret_value, s.public_host, k.pending_key_id, project_id)

    rotation = s.rotation_for(spec)
    rotate_requested = k.rotate_token is not None and k.rotate_token != status.rotate_token
    due = current is None or not secret_holds_current or current.created_at + rotation <= k.now or rotate_requested
    if due:
        if listed is None and not k.project_created_now:
            return ReadKeys(project_id)
        public, secret_value = key_pair()
        return CreateKey(project_id, public, secret_value, key_note(k.namespace))
    if secret is not None and (secret.host != s.public_host or secret.base_url != s.public_host):
        assert current is not None and secret.secret_key is not None and secret.public_key is not None
        return WriteSecret(secret.public_key, secret.secret_key, s.public_host, current.id, project_id)

    # 4. Retired keys whose overlap has passed.
    for old in status.retiring_keys:
        if old.retired_at is not None and old.retired_at + s.overlap <= k.now:
            return DeleteKey(old.project_id, old.id)

    if rotate_requested:
        k.status = status = replace(status, rotate_token=k.rotate_token)

    # 5. The project's scheduled blob export (the analytics cluster loads it). PUT is an upsert: a pass that
    # crashed after it only repeats it; once accepted, nothing is called until the target changes.
    target = s.export
    if target is not None and status.export_config != target.digest() and k.export_refused is None:
        return ConfigureExport(project_id, target.request(project_id), target.digest())
    return Finish(_ready(k, _export_condition(k, status, target), isolated=True))


def _shared(k: Known, s: Settings) -> Action:
    if k.shared is None:
        return ReadSharedProject()
    shared = k.shared
    spec, status = k.spec, k.status
    if spec.project_id is not None and spec.project_id != shared.id:
        return _refuse(
            k, "ProjectNotFound",
            f"spec.langfuse.projectId {spec.project_id}: without an Enterprise licence (admin-api) every namespace uses the shared "
            f"project {shared.id}, and no other project can be adopted",
        )
    secret = k.secret
    wanted = (shared.public_key, shared.secret_key, s.public_host, s.public_host, "shared", shared.id)
    if secret is None or (secret.public_key, secret.secret_key, secret.host, secret.base_url, secret.key_id, secret.project_id) != wanted:
        return WriteSecret(shared.public_key, shared.secret_key, s.public_host, "shared", shared.id)
    k.retention_refused = None
    if spec.retention_days is not None and spec.retention_days != (shared.retention_days or 0):
        k.retention_refused = (
            f"retentionDays {spec.retention_days} refused: per-project retention needs an Enterprise licence (admin-api and "
            f"data-retention); the shared project keeps data {_retention_text(shared.retention_days)}"
        )
    status = replace(
        status, project_id=shared.id, project_name=shared.name, project_created=False, retention_days=shared.retention_days,
        current_key=None, retiring_keys=(),
    )
    return Finish(_ready(k, status, isolated=False, shared=shared))


def _offboard(k: Known, s: Settings) -> Action:
    status = k.status
    if s.mode == "per-project":
        project_id = status.project_id
        if project_id is None and k.spec.project_id is None:
            # A crash between creating the project and writing the status leaves a project only Langfuse knows.
            if k.projects is None:
                return ReadProjects()
            match = next((p for p in k.projects if _created_for(p, k.namespace)), None)
            if match is not None:
                k.status = status = _switch_project(status, match, created=True, now=k.now)
                project_id = match.id
        if status.export_config is not None and project_id is not None:
            k.status = status = replace(status, export_config=None)
            return DeleteExport(project_id)
        for old in (*status.retiring_keys, *((status.current_key,) if status.current_key else ())):
            if old.project_id != project_id:
                return DeleteKey(old.project_id, old.id)
        if project_id is not None:
            if k.keys is None or k.keys_of != project_id:
                return ReadKeys(project_id)
            ours = [key for key in k.keys if key.note == key_note(k.namespace) or (status.current_key and key.id == status.current_key.id)]
            if ours:
                return DeleteKey(project_id, ours[0].id)
    if k.secret is not None and k.secret.managed:
        return DeleteSecret()
    status = replace(status, current_key=None, retiring_keys=())
    policy = k.spec.deletion_policy or s.deletion_policy
    if s.mode == "per-project" and policy == "Delete" and status.project_id is not None and status.project_created:
        project_id = status.project_id
        k.status = replace(status, project_id=None, project_name=None, project_created=False, retention_days=None)
        k.events.append(Event("Normal", "ProjectDeleted", f"deleted Langfuse project {project_id} (deletionPolicy Delete)"))
        return DeleteProject(project_id)
    status = replace(status, conditions=tuple(c for c in status.conditions if c.type != "ExportsConfigured"))
    if k.deleting:
        return Finish(status)
    kept = f"the Langfuse project {status.project_id} and its data are kept" if status.project_id and s.mode == "per-project" else "no Langfuse project is changed"
    conditions = tuple(c for c in status.conditions if c.type != "Budget")
    conditions = _set(k, conditions, "Ready", "False", "Disabled", f"spec.langfuse.enabled is false: keys and Secret removed; {kept}")
    return Finish(replace(status, conditions=conditions, observed_generation=k.generation))


# --- helpers -----------------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def replace(model: M, **changes) -> M:
    """A copy of a status model with `changes` (pydantic's model_copy; the models are never mutated)."""
    return model.model_copy(update=changes)



def _switch_project(status: LangfuseStatus, project: ProjectView, created: bool, now: datetime) -> LangfuseStatus:
    keys = [*status.retiring_keys, *((status.current_key,) if status.current_key else ())]
    return replace(
        status, project_id=project.id, project_name=project.name, project_created=created, retention_days=None, export_config=None,
        current_key=None, retiring_keys=tuple(replace(key, retired_at=key.retired_at or now) for key in keys),
    )


def _forget_key(status: LangfuseStatus, key_id: str) -> LangfuseStatus:
    current = None if status.current_key is not None and status.current_key.id == key_id else status.current_key
    return replace(status, current_key=current, retiring_keys=tuple(r for r in status.retiring_keys if r.id != key_id))


def _promote(status: LangfuseStatus, new: KeyStatus, now: datetime) -> LangfuseStatus:
    retiring = list(status.retiring_keys)
    if status.current_key is not None and status.current_key.id != new.id:
        retiring.append(replace(status.current_key, retired_at=now))
    return replace(status, current_key=new, retiring_keys=tuple(r for r in retiring if r.id != new.id))


def _export_condition(k: Known, status: LangfuseStatus, target: ExportTarget | None) -> LangfuseStatus:
    if target is None:
        return replace(status, conditions=tuple(c for c in status.conditions if c.type != "ExportsConfigured"))
    if k.export_refused is not None:
        if not any(e.reason == "ExportRefused" for e in k.events):
            k.events.append(Event("Warning", "ExportRefused", k.export_refused))
        return replace(status, conditions=_set(k, status.conditions, "ExportsConfigured", "False", "ExportRefused", k.export_refused))
    message = f"Langfuse exports project {status.project_id}: {target.describe()}"
    return replace(status, conditions=_set(k, status.conditions, "ExportsConfigured", "True", "Configured", message))


def _retention_text(days: int | None) -> str:
    return f"for {days} days" if days else "without a retention limit"


def _refuse(k: Known, reason: str, message: str) -> Finish:
    """Bad input: a condition and a Warning event; nothing is deleted or changed."""
    k.events.append(Event("Warning", reason, message))
    conditions = _set(k, k.status.conditions, "Ready", "False", reason, message)
    return Finish(replace(k.status, conditions=conditions, observed_generation=k.generation))


def _ready(k: Known, status: LangfuseStatus, isolated: bool, shared: SharedProject | None = None) -> LangfuseStatus:
    conditions = status.conditions
    if isolated:
        conditions = _set(k, conditions, "Isolated", "True", "ProjectPerNamespace", f"namespace {k.namespace} has its own Langfuse project {status.project_id}")
        message = f"langfuse-keys holds key {status.current_key.public_key if status.current_key else ''} of project {status.project_id}"
    else:
        assert shared is not None
        conditions = _set(
            k, conditions, "Isolated", "False", "NoEnterpriseLicence",
            f"no Enterprise licence (admin-api): every namespace shares the Langfuse project {shared.name} ({shared.id}) created with "
            "LANGFUSE_INIT_*, so traces are not isolated between projects and keys are not rotated by the controller",
        )
        message = f"langfuse-keys holds the shared project's key {shared.public_key}"
    if k.spec.retention_days is None:
        conditions = tuple(c for c in conditions if c.type != "RetentionApplied")
    elif k.retention_refused is not None:
        conditions = _set(k, conditions, "RetentionApplied", "False", "RetentionNotEntitled", k.retention_refused)
        if not any(e.reason == "RetentionNotEntitled" for e in k.events):
            k.events.append(Event("Warning", "RetentionNotEntitled", k.retention_refused))
    else:
        conditions = _set(k, conditions, "RetentionApplied", "True", "Applied", f"project retention is {k.spec.retention_days} days")
    conditions = _budget_condition(k, conditions)
    conditions = _set(k, conditions, "Ready", "True", "KeysInSecret", message)
    return replace(status, isolated=isolated, conditions=conditions, observed_generation=k.generation)


def _budget_condition(k: Known, conditions: tuple[Condition, ...]) -> tuple[Condition, ...]:
    """`Budget`: which budget the usage alerts use. A malformed spec.langfuse.budget is refused (False, and a
    Warning event when the refusal is new) and the stack default applies, which the message says."""
    effective = k.budget
    if effective is None:
        return tuple(c for c in conditions if c.type != "Budget")
    if effective.source == "invalid":
        message = f"{effective.error}; the stack default ({effective.budget.describe()}) applies until it is fixed"
        old = next((c for c in conditions if c.type == "Budget"), None)
        if old is None or old.message != message:
            k.events.append(Event("Warning", "InvalidBudget", message))
        return _set(k, conditions, "Budget", "False", "InvalidBudget", message)
    if effective.source == "default":
        return _set(k, conditions, "Budget", "True", "StackDefault", f"no spec.langfuse.budget: the stack default applies ({effective.budget.describe()})")
    return _set(k, conditions, "Budget", "True", "Accepted", effective.budget.describe())


def _set(k: Known, conditions: tuple[Condition, ...], type_: str, status: str, reason: str, message: str) -> tuple[Condition, ...]:
    old = next((c for c in conditions if c.type == type_), None)
    if old is not None and (old.status, old.reason, old.message) == (status, reason, message):
        return conditions
    since = old.last_transition_time if old is not None and old.status == status else k.now
    new = Condition(type=type_, status=status, reason=reason, message=message, last_transition_time=since)
    return tuple(sorted((*(c for c in conditions if c.type != type_), new), key=lambda c: c.type))


# --- driving a pass ----------------------------------------------------------------------------------------


class LangfuseError(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"Langfuse answered {status}: {message}")
        self.status, self.message, self.retry_after = status, message, retry_after

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.status == 0  # 0: no answer (connection, timeout)


@dataclass
class PassResult:
    status: LangfuseStatus
    events: list[Event]
    actions: list[Action]


def run_pass(k: Known, s: Settings, langfuse, secrets, max_steps: int = 40, key_pair=new_key_pair, after_step=None) -> PassResult:
    """Run decide/apply until Finish. `langfuse` and `secrets` are the two clients (langfuse_api.LangfuseClient,
    kubernetes_api.TenantSecrets, or the tests' stand-ins). Transient Langfuse errors propagate (the caller
    retries the pass with backoff); everything else ends the pass with a condition. `after_step(action)` is
    the tests' crash hook."""
    actions: list[Action] = []
    for _ in range(max_steps):
        action = decide(k, s, key_pair)
        actions.append(action)
        if isinstance(action, Finish):
            return PassResult(action.status, k.events, actions)
        try:
            _apply(k, s, action, langfuse, secrets)
        except LangfuseError as error:
            if error.transient:
                raise
            finish = _on_error(k, action, error)
            actions.append(finish)
            return PassResult(finish.status, k.events, actions)
        if after_step is not None:
            after_step(action)
    raise RuntimeError(f"{k.namespace}: the reconcile did not settle in {max_steps} steps: {actions[-5:]}")


def _apply(k: Known, s: Settings, action: Action, langfuse, secrets) -> None:
    match action:
        case ReadProjects():
            k.projects = langfuse.list_projects()
        case ReadKeys(project_id=project_id):
            k.keys, k.keys_of = langfuse.list_keys(project_id), project_id
        case ReadSharedProject():
            k.shared = langfuse.shared_project()
        case CreateProject(name=name, retention_days=retention, metadata=metadata):
            try:
                project = langfuse.create_project(name, retention, metadata)
            except LangfuseError as error:
                if error.status != 409:
                    raise
                k.create_conflict = True
                return
            k.status = replace(
                _switch_project(k.status, project, created=True, now=k.now), retention_days=retention if k.spec.retention_days is not None else None
            )
            k.project_created_now, k.keys, k.keys_of = True, (), project.id
            k.events.append(Event("Normal", "ProjectCreated", f"created Langfuse project {project.name} ({project.id})"))
        case SetRetention(project_id=project_id, name=name, retention_days=retention):
            try:
                langfuse.set_retention(project_id, name, retention)
            except LangfuseError as error:
                if error.status != 403:
                    raise
                k.retention_refused = f"Langfuse refused retentionDays {retention}: {error.message}"
                return
            k.status = replace(k.status, retention_days=retention)
        case CreateKey(project_id=project_id, public_key=public, secret_key=secret_value, note=note):
            try:
                key_id = langfuse.create_key(project_id, public, secret_value, note)
            except LangfuseError as error:
                if error.status != 409:  # a preset value already taken: the next decide draws another
                    raise
                return
            k.pending_key, k.pending_key_id = (public, secret_value), key_id
            k.keys = (*(k.keys or ()), KeyView(key_id, public, note))
        case DeleteKey(project_id=project_id, key_id=key_id):
            try:
                langfuse.delete_key(project_id, key_id)
            except LangfuseError as error:
                if error.status != 404:
                    raise
            k.status = _forget_key(k.status, key_id)
            k.keys = tuple(key for key in k.keys or () if key.id != key_id) if k.keys is not None else None
        case DeleteProject(project_id=project_id):
            langfuse.delete_project(project_id)
        case ConfigureExport(body=body, digest=digest):
            try:
                langfuse.upsert_export(body)
            except LangfuseError as error:
                if error.transient:
                    raise
                # The keys are fine; only the export is refused (a condition of its own, nothing else changes).
                k.export_refused = f"Langfuse refused the blob export: {error}"
                return
            k.status = replace(k.status, export_config=digest)
            k.events.append(Event("Normal", "ExportConfigured", f"Langfuse exports project {action.project_id} to s3://{body['bucketName']}/{body['prefix']}"))
        case DeleteExport(project_id=project_id):
            try:
                langfuse.delete_export(project_id)
            except LangfuseError as error:
                if error.status != 404:
                    raise
        case WriteSecret():
            secrets.write(k.namespace, action)
            k.secret = SecretView(True, action.public_key, action.secret_key, action.host, action.host, action.key_id, action.project_id)
            if k.pending_key is not None and k.pending_key_id == action.key_id:
                rotated = k.status.current_key is not None
                new = KeyStatus(id=action.key_id, public_key=action.public_key, project_id=action.project_id, created_at=k.now)
                k.status = replace(_promote(k.status, new, k.now), rotate_token=k.rotate_token)
                k.pending_key = k.pending_key_id = None
                k.events.append(Event("Normal", "KeyRotated" if rotated else "KeyIssued", f"langfuse-keys now holds key {action.public_key}"))
        case DeleteSecret():
            secrets.delete(k.namespace)
            k.secret = None
            k.events.append(Event("Normal", "KeysRemoved", "deleted langfuse-keys"))
        case _:
            raise AssertionError(action)


def _on_error(k: Known, action: Action, error: LangfuseError) -> Finish:
    if error.status == 404 and isinstance(action, ReadKeys | CreateKey | SetRetention):
        return _refuse(k, "ProjectNotFound", f"Langfuse project {k.status.project_id} no longer exists or the organisation key cannot see it; nothing was changed")
    if error.status == 403:
        return _refuse(
            k, "Forbidden",
            f"{error.message} (creating projects and keys needs an organisation-scoped key and the admin-api entitlement of an "
            "Enterprise licence; nothing was changed)",
        )
    return _refuse(k, "LangfuseRejected", f"{type(action).__name__}: {error}")
