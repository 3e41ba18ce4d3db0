// The live match dashboard: a key, filters, matches as they arrive, counts per cluster
// and a coverage figure. The key lives in this module's memory only.

import * as api from "./api.js";
import { LiveSocket } from "./graphql-ws.js";
import { clustersOf, explanationEntries, matchCard, selectionOf } from "./match-card.js";

const MAX_SHOWN = 200; // cards kept in the page; counts go on beyond
const COVERAGE_EVERY_MS = 5000; // new matches refresh the coverage figure at most this often

const $ = (id) => document.getElementById(id);
const ui = {
  connection: $("connection"),
  connectForm: $("connect"),
  key: $("api-key"),
  connect: $("connect-button"),
  disconnect: $("disconnect-button"),
  identity: $("identity"),
  filters: $("filters"),
  cluster: $("filter-cluster"),
  kind: $("filter-kind"),
  score: $("filter-score"),
  counts: $("counts").tBodies[0],
  coverageForm: $("coverage-form"),
  coverageNeeds: $("coverage-needs"),
  coverageOffers: $("coverage-offers"),
  coverageButton: $("coverage-button"),
  coverage: $("coverage"),
  matches: $("matches"),
  empty: $("matches-empty"),
  total: $("match-total"),
};
const controls = [
  ui.cluster, ui.kind, ui.score, $("filter-button"),
  ui.coverageNeeds, ui.coverageOffers, ui.coverageButton,
];

// {key, live, stop, clusterNames, entries, document, filter, cursor, seen, counts}
let session = null;
let coverageTimer = null;

function setStatus(state, text) {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
}

function onSocketState(state, detail) {
  if (state === "connecting") setStatus("connecting", "Connecting…");
  else if (state === "connected") setStatus("connected", "Connected: matches arrive live");
  else if (state === "reconnecting") {
    const seconds = (detail.delayMs / 1000).toFixed(1);
    const text = `Connection lost: reconnecting in ${seconds} s (attempt ${detail.attempt})`;
    setStatus("reconnecting", text);
  } else if (state === "closed" && detail.reason) {
    setStatus("closed", `Disconnected: ${detail.reason}`);
    endSession();
  }
}

async function connect(event) {
  event.preventDefault();
  const key = ui.key.value.trim();
  if (!key) return;
  disconnect();
  ui.connect.disabled = true;
  setStatus("connecting", "Checking the key…");
  let viewer, start, clusters, fields;
  try {
    ({ viewer, matchCursor: start } = await api.query(key, api.VIEWER));
    clusters = await api.allClusters(key);
    fields = await api
      .query(key, api.TYPE_FIELDS, { name: "MatchExplanation" })
      .then((data) => data.__type?.fields ?? null, () => null);
  } catch (error) {
    setStatus("closed", `Could not connect: ${error.message}`);
    ui.connect.disabled = false;
    return;
  }
  for (const select of [ui.cluster, ui.coverageNeeds, ui.coverageOffers]) {
    fillClusters(select, clusters);
  }
  const entries = explanationEntries(fields);
  session = {
    key,
    clusterNames: new Map(clusters.map((cluster) => [cluster.key, cluster.name])),
    entries,
    document: api.matchFound(selectionOf(entries)),
    filter: filter(),
    cursor: start,
    seen: new Map(),
    counts: new Map(),
  };
  ui.identity.textContent = describe(viewer, session.clusterNames);
  clearMatches();
  for (const control of controls) control.disabled = false;
  ui.disconnect.disabled = false;
  ui.connect.disabled = false;
  session.live = new LiveSocket(api.SOCKET_URL, { Authorization: `Bearer ${key}` }, onSocketState);
  subscribe();
  computeCoverage();
}

function describe(viewer, clusterNames) {
  const scope = clusterNames.get(viewer.clusterId) ?? viewer.clusterId ?? viewer.organisationId;
  return `Signed in as ${viewer.role}${scope ? ` of ${scope}` : ""}.`;
}

function fillClusters(select, clusters) {
  select.replaceChildren(select.options[0]);
  for (const cluster of clusters) select.add(new Option(cluster.name, cluster.key));
}

function disconnect() {
  if (!session) return;
  session.live.close();
  setStatus("idle", "Disconnected");
  endSession();
}

function endSession() {
  clearTimeout(coverageTimer);
  coverageTimer = null;
  session = null;
  for (const control of controls) control.disabled = true;
  ui.disconnect.disabled = true;
  ui.connect.disabled = false;
}

function filter() {
  const chosen = {};
  if (ui.cluster.value) chosen.clusterIds = [ui.cluster.value];
  if (ui.kind.value) chosen.kinds = [ui.kind.value];
  const score = Number.parseFloat(ui.score.value);
  if (score > 0) chosen.minScore = score;
  return chosen;
}

// The request is built anew on every (re)subscription: it resumes after the last cursor.
function subscribe() {
  const current = session;
  current.stop?.();
  const request = () => ({
    query: current.document,
    variables: { filter: current.filter, after: current.cursor },
  });
  current.stop = current.live.subscribe(request, {
    next: (data) => data?.matchFound && show(current, data.matchFound),
    error: (errors) => refused(current, errors),
    complete: () => setTimeout(() => session === current && subscribe(), 1000),
  });
}

function refused(current, errors) {
  const [error] = errors;
  const retryAfter = error?.extensions?.retryAfter;
  if (retryAfter != null) {
    setTimeout(() => session === current && subscribe(), retryAfter * 1000);
    return;
  }
  setStatus("closed", `The hub refused the subscription: ${error?.message ?? "unknown error"}`);
}

function show(current, match) {
  if (session !== current) return;
  current.cursor = match.cursor; // the stream comes in cursor order
  const card = matchCard(match, current.entries, (key) => current.clusterNames.get(key) ?? key);
  const earlier = current.seen.get(match.key);
  if (earlier) {
    earlier.remove(); // re-scored: the new card replaces it, counted once
  } else {
    count(current, match);
  }
  current.seen.set(match.key, card);
  ui.matches.prepend(card);
  while (ui.matches.children.length > MAX_SHOWN) ui.matches.lastElementChild.remove();
  ui.empty.hidden = true;
  ui.total.textContent = `(${current.seen.size})`;
  if (coverageTimer === null) coverageTimer = setTimeout(computeCoverage, COVERAGE_EVERY_MS);
}

function count(current, match) {
  for (const cluster of clustersOf(match)) {
    current.counts.set(cluster, (current.counts.get(cluster) ?? 0) + 1);
  }
  const rows = [...current.counts].sort((a, b) => b[1] - a[1]);
  ui.counts.replaceChildren(
    ...rows.map(([cluster, n]) => {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = current.clusterNames.get(cluster) ?? cluster;
      const cell = document.createElement("td");
      cell.className = "number";
      cell.textContent = String(n);
      row.append(name, cell);
      return row;
    }),
  );
}

function filtersChanged() {
  const chosen = filter();
  if (!session || JSON.stringify(chosen) === JSON.stringify(session.filter)) return;
  session.filter = chosen;
  session.seen.clear();
  session.counts.clear();
  clearMatches();
  subscribe();
}

function clearMatches() {
  ui.matches.replaceChildren();
  ui.counts.replaceChildren();
  ui.total.textContent = "";
  ui.empty.hidden = false;
}

function percent(share) {
  return `${Math.round(share * 100)} %`;
}

async function computeCoverage() {
  clearTimeout(coverageTimer);
  coverageTimer = null;
  const current = session;
  if (!current) return;
  const party = (select) => (select.value ? { clusterIds: [select.value] } : {});
  try {
    const report = (
      await api.query(current.key, api.COVERAGE, {
        needs: party(ui.coverageNeeds),
        offers: party(ui.coverageOffers),
      })
    ).coverage;
    if (session !== current) return;
    ui.coverage.textContent = report.needed
      ? `${report.covered} of ${report.needed} positions covered (${percent(report.share)}); ` +
        `${report.coveredWithTraining} (${percent(report.shareWithTraining)}) ` +
        "when people take the suggested trainings first."
      : "No open needs in this selection.";
  } catch (error) {
    ui.coverage.textContent = `Coverage not available: ${error.message}`;
  }
}

ui.connectForm.addEventListener("submit", connect);
ui.disconnect.addEventListener("click", disconnect);
ui.filters.addEventListener("submit", (event) => {
  event.preventDefault();
  filtersChanged();
});
ui.cluster.addEventListener("change", () => {
  ui.coverageNeeds.value = ui.cluster.value;
  filtersChanged();
  computeCoverage();
});
ui.kind.addEventListener("change", filtersChanged);
ui.score.addEventListener("change", filtersChanged);
ui.coverageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  computeCoverage();
});
