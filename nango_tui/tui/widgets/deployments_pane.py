"""The Deployments pane (F6): what a runtime server runs, and acting on it, over HTTP only.

    DeploymentsPane(root, environments, environment, id="deployments")
    pane.project = project       # the app sets it when nango.yaml reloads (record columns, inputs)
    pane.shown(True/False)       # the app calls it when the pane appears / is hidden

The tree: environments -> integrations -> deployed scripts (name@vN) -> each connection's sync
(status, records, last/next run) -> its models (enter browses the served records) and its runs
(the detail shows logs and error). The server is the one in `NANGO_HOSTPORT`, opened with
`NANGO_SECRET_KEY_<ENV>`. Every request runs in a thread worker (`deployments_fetch.fetch`);
answers come back as `Fetched` messages (coalesced per environment). While shown, the open
environments are refreshed every `POLL_SECONDS`; hidden, nothing is asked. A server that is down
or refuses the key is the status line, naming the address tried.

Acting (`deployments_actions.py`): D deploys (compile, the confirmation, then only on `y`),
t / f trigger (incremental / full resync), p pauses or starts, F sets the frequency, a triggers
an action with an input; each answer is a toast and the tree refreshes.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, Tree

from nango_tui.tui import deployments_view as view
from nango_tui.tui.deployments_fetch import EnvLink, EnvSnapshot, Wanted, fetch
from nango_tui.tui.deployments_view import NodeRef
from nango_tui.tui.widgets.deployments_tree import DeploymentsTree
from nango_tui.tui.widgets.pane import Pane

POLL_SECONDS = 3.0
FIRST_FRAME_HOLD = 0.25  # seconds at most the first show's paint waits for the scripts
SHORT_PANE = 14  # rows under which the detail is hidden (z zooms, the detail comes back)


class Fetched(Message):
    """A refresh of one environment came back (a newer one replaces one not yet handled)."""

    def __init__(self, snapshot: EnvSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        if not isinstance(message, Fetched) or message.snapshot.env != self.snapshot.env:
            return False
        return not (self.snapshot.partial and not message.snapshot.partial)  # never lose a full one


class DeploymentsPane(Pane):
    """Deployed scripts, syncs per connection, runs and records of a runtime server."""

    class DeployBlocked(Message):
        """compile found errors: nothing was sent (the app shows them in Problems)."""

        def __init__(self, diagnostics: list, text: str) -> None:
            super().__init__()
            self.diagnostics = diagnostics
            self.text = text

    TITLE = "Deployments"
    FILTER_PLACEHOLDER = "filter scripts and connections…"
    HELP = """\
What a runtime server (`nango-tui serve`, at NANGO_HOSTPORT, default http://localhost:3003)
runs for each environment whose key is set (NANGO_SECRET_KEY_<ENV>, in the shell or .env):

  environment -> integration -> deployed script (name@vN, kind, schedule, first endpoint)
    -> each connection's sync (status, records, last and next run)
       -> its models (enter: browse the served records) and its last runs (logs and error)

The detail under the tree shows the highlighted item: a script's endpoints and when it was
deployed, a sync's records per model and last result, a run's logs (l opens all of them).
While the pane is shown it refreshes every 3 seconds; hidden, it asks nothing.

D deploys the project to the highlighted environment: compile first (errors open Problems),
then the server's confirmation (new / updated / deleted syncs, actions, models; destructive
lines marked !), and only y deploys.
On a sync (or one connection's sync): t triggers a run, f a full resync, p pauses or starts,
F sets the connection's frequency. On an action: a triggers it with an input (JSON, checked
against the input model as in the dryrun dialog); the output opens in the inspector.
"""

    BINDINGS = [
        Binding("D", "deploy", "Deploy", id="deployments.deploy"),
        Binding("t", "trigger('incremental')", "Trigger", id="deployments.trigger"),
        Binding("f", "trigger('full_refresh')", "Full resync", id="deployments.full_resync", show=False),
        Binding("p", "pause_or_start", "Pause/start", id="deployments.pause_start"),
        Binding("F", "frequency", "Frequency", id="deployments.frequency", show=False),
        Binding("a", "trigger_action", "Run action", id="deployments.action", show=False),
        Binding("l", "logs", "Logs", id="deployments.logs", show=False),
        Binding("R", "refresh", "Refresh", id="deployments.refresh", show=False),
    ]

    def __init__(
        self, root: Path, environments: list[str], environment: str, *, id: str = "deployments"
    ) -> None:
        super().__init__(id=id)
        self.root = Path(root)
        self.environments = list(dict.fromkeys([environment, *environments]))
        self.environment = environment
        self.project: Any = None
        self.snapshots: dict[str, EnvSnapshot] = {}
        self.links: dict[str, EnvLink] = {}
        self._links_lock = threading.Lock()  # the warm-up, fetch and action threads share `links`
        self._fetching: set[str] = set()
        self._again: set[str] = set()
        self._visible = False
        self.refreshes = 0  # answers applied (tests read it)
        self.fetches = 0  # request sets sent (tests read it)
        self.poll_ticks = 0  # timer ticks, shown or not (tests read it)
        self._hold: Timer | None = None  # the first show's paint held for the scripts
        self._held: AbstractContextManager[None] | None = None  # Textual's batch_update, entered

    def compose_body(self):
        yield Static(Text("press F6 to open", "dim"), id="deployments-status")
        yield DeploymentsTree(id="deployments-tree", classes="pane-body")
        with VerticalScroll(id="deployments-detail"):
            yield Static("", id="deployments-detail-text")

    @property
    def tree(self) -> DeploymentsTree:
        return self.query_one(DeploymentsTree)

    def on_mount(self) -> None:
        tree = self.tree
        tree.set_children(
            tree.root, [(NodeRef("env", env), view.env_label(env), True) for env in self.environments]
        )
        self.set_interval(POLL_SECONDS, self._poll)
        self._warm_link()

    @work(thread=True, group="deployments-warm", exit_on_error=False)
    def _warm_link(self) -> None:
        """Make the current environment's client while the pane is still hidden (the app mounts
        it after the first frame): its imports (httpx, the typed bodies) and TLS context cost
        ~0.1-0.5 s, which F6's first request would wait for. Nothing is sent to the server."""
        self.link_for(self.environment)

    def on_unmount(self) -> None:
        self._release_first_frame()
        for link in self.links.values():
            link.close()

    def on_resize(self) -> None:
        self.query_one("#deployments-detail").display = self.size.height >= SHORT_PANE

    # -- shown / hidden, polling -------------------------------------------------------------

    def shown(self, visible: bool) -> None:
        """The app shows or hides the pane; the first show opens the current environment. Called
        before the layout changes: the request is on its way while the screen is laid out."""
        self._visible = visible
        if not visible:
            self._release_first_frame()
            return
        if self.environment not in self.snapshots and self.is_mounted:
            link = self.links.get(self.environment)
            where = f" at {link.host}" if link is not None and link.client is not None else ""
            self._status(Text(f"{self.environment}: asking the server{where}…", "dim"))
            self._hold_first_frame()
        node = self.tree.node_for(NodeRef("env", self.environment))
        if node is not None:
            if self.tree.cursor_line < 0:
                self.tree.move_cursor(node)
            node.expand()
        self.refresh_open()

    def _hold_first_frame(self) -> None:
        """The first show: the screen's next paint waits for the scripts (at most
        FIRST_FRAME_HOLD), so they are on the pane's first frame: one layout and paint instead
        of an empty pane first (-50 ms of CPU; on a busy machine several frames sooner). This
        is Textual's public `App.batch_update()`, entered here and left as soon as the answer is
        drawn (what `App.delay_update` does for a fixed time)."""
        if self._hold is None:
            self._held = self.app.batch_update()
            self._held.__enter__()
            self._hold = self.set_timer(FIRST_FRAME_HOLD, self._release_first_frame)

    def _release_first_frame(self) -> None:
        if self._hold is not None:
            self._hold.stop()
            self._hold = None
            held, self._held = self._held, None
            if held is not None:
                held.__exit__(None, None, None)
            self.app.screen.refresh()

    @property
    def polling(self) -> bool:
        """Shown on the active screen (a dialog or another screen on top: no refresh)."""
        return self._visible and self.display and self.screen is self.app.screen

    def _poll(self) -> None:
        self.poll_ticks += 1
        if self.polling:
            self.refresh_open()

    def refresh_open(self) -> None:
        """Ask for every open environment again (one request set each, never two at once)."""
        for node in self.tree.root.children:
            if node.is_expanded and node.data is not None:
                self.refresh_env(node.data.env)

    def refresh_env(self, env: str) -> None:
        if env in self._fetching:
            self._again.add(env)  # asked again while a fetch runs: once more when it ends
            return
        self._fetching.add(env)
        self.fetches += 1
        self._fetch(env, self._wanted(env))

    def _wanted(self, env: str) -> Wanted:
        scripts, syncs = set(), set()
        for ref in self.tree.open_nodes():
            if ref.env != env or ref.integration is None or ref.script is None:
                continue
            if ref.kind == "script" and ref.script_type == "sync":
                scripts.add((ref.integration, ref.script))
            elif ref.kind == "sync" and ref.connection is not None:
                syncs.add((ref.integration, ref.script, ref.connection))
        return Wanted(frozenset(scripts), frozenset(syncs))

    @work(thread=True, group="deployments-fetch", exit_on_error=False)
    def _fetch(self, env: str, wanted: Wanted) -> None:
        link = self.link_for(env)
        first = env not in self.snapshots  # the scripts are shown before the connections arrive
        on_scripts = (lambda snap: self.post_message(Fetched(snap))) if first else None
        self.post_message(Fetched(fetch(link, wanted, on_scripts)))

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded) -> None:
        ref = event.node.data
        if ref is None or ref.kind == "integration" or (ref.kind == "env" and ref.env in self._fetching):
            return  # an integration's scripts are known; an environment being fetched: that answer fills it
        self.refresh_env(ref.env)

    # -- applying an answer -----------------------------------------------------------------

    @on(Fetched)
    def _fetched(self, event: Fetched) -> None:
        event.stop()
        try:
            self._apply(event.snapshot)
        finally:
            if event.snapshot.env == self.environment:
                self._release_first_frame()  # drawn: the held paint shows it

    def _apply(self, snap: EnvSnapshot) -> None:
        self.refreshes += 1
        if snap.partial:
            if snap.env not in self.snapshots or self.snapshots[snap.env].partial:
                self.snapshots[snap.env] = snap
                self._draw_env(snap)
            return
        self._fetching.discard(snap.env)
        previous = self.snapshots.get(snap.env)
        if snap.error is None or previous is None:
            if previous is not None and snap.error is None:
                snap.keep_unasked(previous)
            self.snapshots[snap.env] = snap
        else:  # keep the last good tree; the error is the status line
            self.snapshots[snap.env].error = snap.error
        self._draw_env(snap)
        if snap.env in self._again:
            self._again.discard(snap.env)
            self.refresh_env(snap.env)
        self._show_detail()

    def _draw_env(self, snap: EnvSnapshot) -> None:
        with self.tree.keeping_cursor():
            self._draw_env_nodes(snap)

    def _draw_env_nodes(self, snap: EnvSnapshot) -> None:
        tree = self.tree
        env_node = tree.node_for(NodeRef("env", snap.env))
        if env_node is None:
            return
        if snap.error:
            env_node.set_label(
                view.env_label(snap.env, "unreachable" if "reach" in snap.error else "refused", True)
            )
            if snap.env == self.environment or not self.snapshots.get(snap.env, snap).integrations:
                self._status(Text(f"✘ {snap.error}", "red"))
            return
        known = self.snapshots[snap.env]
        scripts = sum(len(i.syncs) + len(i.actions) for i in snap.integrations)
        env_node.set_label(view.env_label(snap.env, f"{snap.host} · {scripts} scripts"))
        connections = (
            "connections…"
            if snap.partial
            else f"{len(snap.connections)} connection{'s' if len(snap.connections) != 1 else ''}"
        )
        status = Text.assemble(
            (snap.env, "bold"),
            f" · {snap.host} · {scripts} script{'s' if scripts != 1 else ''}, {connections}",
        )
        if snap.problems:  # the parts that failed show their last answer; the env's detail says why
            failed = len(snap.problems)
            status.append(f" · ⚠ {failed} request{'s' if failed != 1 else ''} failed", "yellow")
        status.append(f" · updated {datetime.now(UTC).strftime('%H:%M:%S')}", "dim")
        self._status(status)
        needle = self.filter_text.lower()
        now = datetime.now(UTC)
        wanted_integrations = []
        for integration in known.integrations:
            key = integration.providerConfigKey
            count = None if known.partial else view.connection_count(known.connections, key)
            wanted_integrations.append(
                (NodeRef("integration", snap.env, key), view.integration_label(key, count), True)
            )
        tree.set_children(env_node, wanted_integrations, expand_new=True)
        for integration in known.integrations:
            key = integration.providerConfigKey
            node = tree.node_for(NodeRef("integration", snap.env, key))
            if node is None:
                continue
            wanted_scripts = []
            for script in [*integration.syncs, *integration.actions]:
                connections = [s.connection_id for s in known.statuses.get((key, script.name), [])]
                if not _matches(needle, script.name, key, *connections):
                    continue  # shown when its name, its integration or one of its connections matches
                ref = NodeRef("script", snap.env, key, script.name, script.type)
                wanted_scripts.append((ref, view.script_label(script), script.type == "sync"))
            tree.set_children(node, wanted_scripts)
            for script in integration.syncs:
                self._draw_statuses(snap, key, script.name, now)

    def _draw_statuses(self, snap: EnvSnapshot, integration: str, sync: str, now: datetime) -> None:
        tree = self.tree
        node = tree.node_for(NodeRef("script", snap.env, integration, sync, "sync"))
        statuses = snap.statuses.get((integration, sync))
        if node is None or statuses is None:
            return
        needle = self.filter_text.lower()
        wanted = []
        for status in statuses:
            if not _matches(needle, status.connection_id, sync, integration):
                continue
            ref = NodeRef("sync", snap.env, integration, sync, "sync", status.connection_id)
            wanted.append((ref, view.sync_label(status, now), True))
        tree.set_children(node, wanted)
        for status in statuses:
            ref = NodeRef("sync", snap.env, integration, sync, "sync", status.connection_id)
            conn_node = tree.node_for(ref)
            if conn_node is None:
                continue
            children = [
                (
                    NodeRef("model", snap.env, integration, sync, "sync", status.connection_id, model),
                    view.model_label(model, count, status.latestResult.get(model)),
                    False,
                )
                for model, count in status.recordCount.items()
            ]
            for run in snap.runs.get((integration, sync, status.connection_id), []):
                run_ref = NodeRef(
                    "run", snap.env, integration, sync, "sync", status.connection_id, run_id=str(run.run_id)
                )
                children.append((run_ref, view.run_label(run), False))
            tree.set_children(conn_node, children)

    def _status(self, text: Text) -> None:
        self.query_one("#deployments-status", Static).update(text)

    @property
    def status_text(self) -> str:
        return str(self.query_one("#deployments-status", Static).render())

    # -- the detail --------------------------------------------------------------------------

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._show_detail()

    def highlighted(self) -> NodeRef | None:
        node = self.tree.cursor_node
        return node.data if node is not None else None

    def _show_detail(self) -> None:
        detail = next(self.query("#deployments-detail-text").results(Static), None)
        tree = next(self.query(DeploymentsTree).results(), None)
        if detail is None or tree is None:
            # The app is closing: its children go first, and a highlight the tree posted when it was
            # filled at mount (F6 or the mount after the first frame) can arrive after them.
            return
        node = tree.cursor_node
        ref = node.data if node is not None else None
        lines = self.detail_lines(ref) if ref is not None else []
        detail.update(Text("\n").join(lines))

    def detail_lines(self, ref: NodeRef) -> list[Text]:
        snap = self.snapshots.get(ref.env)
        if snap is None:
            return [Text(f"{ref.env}: loading…", "dim")]
        if ref.kind == "env":
            if snap.error:
                return [Text(snap.error, "red")]
            lines = [Text(f"{ref.env} at {snap.host}; D deploys this project here", "dim")]
            for part, problem in snap.problems.items():
                lines.append(Text(f"⚠ {'/'.join(part)}: {problem} (its last answer is shown)", "yellow"))
            return lines
        if ref.kind == "script" and ref.integration and ref.script:
            script = self.script_config(ref)
            if script is None:
                return []
            count = view.connection_count(snap.connections, ref.integration)
            return view.script_detail(ref.integration, script, snap.host, count)
        status = self.sync_status(ref)
        if ref.kind == "sync" and status is not None and ref.integration:
            return view.sync_detail(ref.integration, status)
        if ref.kind == "model" and status is not None and ref.model:
            count = status.recordCount.get(ref.model, 0)
            return [Text(f"{ref.model}: {count:,} records served for {ref.connection}; enter browses them")]
        if ref.kind == "run":
            run = self.sync_run(ref)
            return view.run_detail(run) if run is not None else []
        return []

    # -- lookups -----------------------------------------------------------------------------

    def script_config(self, ref: NodeRef) -> Any:
        snap = self.snapshots.get(ref.env)
        return snap.script(ref.integration, ref.script) if snap else None

    def sync_status(self, ref: NodeRef) -> Any:
        snap = self.snapshots.get(ref.env)
        return snap.status(ref.integration, ref.script, ref.connection) if snap else None

    def sync_run(self, ref: NodeRef) -> Any:
        snap = self.snapshots.get(ref.env)
        return snap.run(ref.integration, ref.script, ref.connection, ref.run_id) if snap else None

    def apply_filter(self, text: str) -> None:
        for snap in self.snapshots.values():
            if snap.error is None:
                self._draw_env(snap)

    # -- actions (the acting side is in deployments_actions.py) ------------------------------

    def action_refresh(self) -> None:
        self.refresh_open()

    def action_deploy(self) -> None:
        self.deploy(self._target_env())

    def deploy(self, env: str) -> None:
        """compile, the server's confirmation, then deploy on `y` (palette: `deploy <env>`)."""
        from nango_tui.tui import deployments_actions

        deployments_actions.deploy(self, env)

    def action_trigger(self, mode: str) -> None:
        from nango_tui.tui import deployments_actions

        deployments_actions.trigger(self, self.highlighted(), mode)

    def action_pause_or_start(self) -> None:
        from nango_tui.tui import deployments_actions

        deployments_actions.pause_or_start(self, self.highlighted())

    def action_frequency(self) -> None:
        from nango_tui.tui import deployments_actions

        deployments_actions.frequency(self, self.highlighted())

    def action_trigger_action(self) -> None:
        from nango_tui.tui import deployments_actions

        deployments_actions.trigger_action(self, self.highlighted())

    def action_logs(self) -> None:
        from nango_tui.tui import deployments_actions

        deployments_actions.show_logs(self, self.highlighted())

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        ref = event.node.data
        if ref is not None and ref.kind == "model":
            from nango_tui.tui import deployments_actions

            deployments_actions.browse_records(self, ref)

    def _target_env(self) -> str:
        ref = self.highlighted()
        return ref.env if ref is not None else self.environment

    def link_for(self, env: str) -> EnvLink:
        """The environment's address and client, made once (any thread)."""
        with self._links_lock:
            link = self.links.get(env)
            if link is None:
                link = self.links[env] = EnvLink(self.root, env)
            return link

    def client_for(self, env: str) -> Any:
        """The environment's `ServerClient` (None with a toast when its key is not set)."""
        link = self.link_for(env)
        if link.client is None:
            self.notify(link.problem or f"{env}: no server settings", severity="error", timeout=8)
        return link.client


def _matches(needle: str, *texts: str) -> bool:
    """The filter (lower case) is empty or in one of `texts`."""
    return not needle or any(needle in text.lower() for text in texts)
