// The follow-up dashboard: pick a municipality and a year, see the governance chain as a tree
// with each goal's and indicator's status, open an indicator's chart, and print the goal
// attainment of a follow-up. Every figure comes from the GraphQL API (see api.js); the
// download links point at the REST series endpoint, which serves the same values as CSV and
// JSON-stat. On a server that requires a token for reads, the page asks for one first.

import { gql, token, setToken, download, MUNICIPALITIES, YEARS, CHAIN, CHART, GROUPS } from "./api.js";
import { h } from "./dom.js";
import { renderTree, reveal } from "./tree.js";
import { renderChart, lineStyle, GROUP as GROUP_STYLE } from "./chart.js";
import {
  STATUS, ASSESSMENT, TREND, GOAL_KIND, DIRECTION, GENDER, COUNTRY, COUNTRY_NAME,
  formatValue, followUpName, targetText,
} from "./labels.js";

const $ = (sel) => document.querySelector(sel);

/** What is picked; mirrored in the address
 * (?kommun=1489&ar=2023&jamfor=1490&grupp=1489:jamforelsekommuner&indikator=7). */
const state = { municipality: null, year: null, compare: [], group: null, indicator: null, followUp: null };
let municipalities = [];
let groups = [];
let chain = null;

function readAddress() {
  const q = new URLSearchParams(location.search);
  state.municipality = q.get("kommun");
  state.year = Number(q.get("ar")) || null;
  state.compare = (q.get("jamfor") || "").split(",").filter(Boolean);
  state.group = q.get("grupp") || null;
  state.indicator = Number(q.get("indikator")) || null;
}

function writeAddress() {
  const q = new URLSearchParams();
  if (state.municipality) q.set("kommun", state.municipality);
  if (state.year) q.set("ar", state.year);
  if (state.compare.length) q.set("jamfor", state.compare.join(","));
  if (state.group) q.set("grupp", state.group);
  if (state.indicator) q.set("indikator", state.indicator);
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

/** Shows an error where screen readers announce it. */
function showError(where, e) {
  console.error(e);
  $("#message").replaceChildren(`${where}: ${e.message}`);
  $("#message").hidden = false;
}

function badge(table, key, extra) {
  const b = table[key] || { text: key, symbol: "?", cls: "none" };
  return h("span", { class: `badge ${b.cls}`, "data-status": key },
    h("span", { class: "symbol", "aria-hidden": "true" }, b.symbol), " ", b.text, extra ? ` ${extra}` : "");
}

/** The trend in Swedish, e.g. "förbättras sedan 2021" (the API's description is English). */
function trendText(t) {
  const tr = TREND[t.kind] || TREND.INSUFFICIENT;
  return t.since && t.kind !== "INSUFFICIENT" ? `${tr.text} sedan ${t.since}` : tr.text;
}

/** The trend as an arrow for the way the values move, coloured by whether that is better. */
function trendArrow(t) {
  const tr = TREND[t.kind] || TREND.INSUFFICIENT;
  const arrow = t.kind === "INSUFFICIENT" ? "·" : t.change > 0 ? "↗" : t.change < 0 ? "↘" : "→";
  return h("span", { class: `trend ${tr.cls}`, "data-trend": t.kind, title: trendText(t) },
    h("span", { "aria-hidden": "true" }, arrow), h("span", { class: "sr-only" }, ` Trend: ${trendText(t)}`));
}

async function loadMunicipalities() {
  const data = await gql(MUNICIPALITIES);
  municipalities = data.municipalities
    .filter((m) => m.municipalityCode)
    .sort((a, b) => a.name.localeCompare(b.name, "sv"));
  const select = $("#kommun");
  select.replaceChildren(...municipalities.map((m) =>
    h("option", { value: m.municipalityCode }, `${m.name} (${m.municipalityCode})`)));
  if (!municipalities.some((m) => m.municipalityCode === state.municipality)) {
    state.municipality = municipalities.length ? municipalities[0].municipalityCode : null;
  }
  select.value = state.municipality || "";
}

function municipalityName() {
  return (municipalities.find((m) => m.municipalityCode === state.municipality) || {}).name || state.municipality;
}

function renderCompare() {
  const select = $("#jamfor");
  const others = municipalities.filter((m) => m.municipalityCode !== state.municipality);
  state.compare = state.compare.filter((c) => others.some((m) => m.municipalityCode === c));
  select.replaceChildren(...others.map((m) =>
    h("option", { value: m.municipalityCode, selected: state.compare.includes(m.municipalityCode) }, m.name)));
}

/** The municipality's comparison groups (its own first, then Kolada's), and "none". */
async function loadGroups() {
  const data = await gql(GROUPS, { m: state.municipality });
  groups = data.comparisonGroups.sort((a, b) => (a.source === b.source ? a.title.localeCompare(b.title, "sv") : a.source === "OWN" ? -1 : 1));
  if (!groups.some((g) => g.code === state.group)) state.group = null;
  $("#grupp").replaceChildren(
    h("option", { value: "" }, "Ingen"),
    ...groups.map((g) => h("option", { value: g.code, selected: g.code === state.group }, g.title)));
  $("#grupp").value = state.group || "";
}

/** The years to offer: from the first governance model's start to this year; the default is
 * the latest year with a follow-up or a value, where the chain has something to show. */
async function loadYears() {
  const data = await gql(YEARS, { m: state.municipality });
  const now = new Date().getFullYear();
  const starts = data.governanceModels.map((g) => Number(g.validFrom.slice(0, 4)));
  const latest = [
    ...data.followUps.nodes.map((f) => f.year),
    ...data.indicators.nodes.map((i) => i.latestValue && i.latestValue.period).filter(Boolean),
  ];
  const first = Math.min(now, ...starts, ...latest);
  const fallback = latest.length ? Math.max(...latest) : now;
  const last = Math.max(now, fallback);
  if (!state.year || state.year < first || state.year > last) state.year = fallback;
  const years = [];
  for (let y = last; y >= first; y--) years.push(y);
  $("#ar").replaceChildren(...years.map((y) => h("option", { value: y }, String(y))));
  $("#ar").value = String(state.year);
}

/** The goals that contribute to `goal`, among those in force. */
function childrenOf(goal, goals) {
  return goals.filter((g) => g.parents.some((p) => p.id === goal.id));
}

function latestAssessment(goal) {
  // Newest first: the first one for the year picked, else the newest of all.
  return goal.assessments.find((a) => a.followUp && a.followUp.year === state.year) || goal.assessments[0] || null;
}

function indicatorNode(ind) {
  const st = ind.status;
  const value = st.value === null || st.value === undefined ? "" : `${formatValue(st.value)}${ind.unit ? ` (${ind.unit})` : ""}`;
  const when = st.period ? `${st.period}` : "";
  return {
    attrs: { "data-kind": "indicator", "data-indicator-id": ind.id, "aria-selected": "false" },
    label: h("span", { class: "item indicator" },
      badge(STATUS, st.status), " ", trendArrow(st.trend), " ",
      h("span", { class: "title" }, ind.title),
      value ? h("span", { class: "value" }, ` ${value}${when ? `, ${when}` : ""}`) : null),
    onOpen: () => openIndicator(ind.id).catch((e) => showError("Kunde inte hämta serien", e)),
  };
}

function goalNode(goal, goals, seen) {
  const a = goal.attainment;
  const judged = a.onTarget + a.notOnTarget;
  const assessment = latestAssessment(goal);
  const kids = seen.has(goal.id) ? [] : childrenOf(goal, goals).map((c) => goalNode(c, goals, new Set([...seen, goal.id])));
  return {
    expanded: false,
    attrs: { "data-kind": "goal", "data-goal-id": goal.id, "data-goal-kind": goal.kind },
    label: h("span", { class: "item goal" },
      badge(ASSESSMENT, a.assessment), " ",
      h("span", { class: "title" }, goal.title), " ",
      h("span", { class: "meta" },
        `${GOAL_KIND[goal.kind] || goal.kind}${goal.owner ? `, ${goal.owner.shortName || goal.owner.name}` : ""}`,
        ` · ${a.onTarget} av ${judged} indikatorer uppfyllda${a.noData ? `, ${a.noData} utan data` : ""}`),
      assessment ? h("span", { class: "assessment" },
        `Bedömning i ${followUpName(assessment.followUp)}: `, badge(ASSESSMENT, assessment.assessment)) : null),
    children: [...kids, ...goal.indicators.map(indicatorNode)],
  };
}

const GROUP = { FINANCIAL_GOAL: "Finansiella mål", OPERATIONAL_GOAL: "Verksamhetsmål" };

function chainNodes() {
  const goals = chain.goals.nodes;
  const ids = new Set(goals.map((g) => g.id));
  const roots = goals.filter((g) => !g.parents.some((p) => ids.has(p.id)));
  const nodes = chain.visions.map((v) => ({
    attrs: { "data-kind": "vision" },
    label: h("span", { class: "item vision" }, h("span", { class: "title" }, v.title),
      v.horizonYear ? h("span", { class: "meta" }, ` (${v.horizonYear})`) : null),
    children: [...v.focusAreas].sort((a, b) => a.position - b.position).map((fa) => ({
      attrs: { "data-kind": "focus-area" },
      label: h("span", { class: "item focus-area" }, h("span", { class: "meta" }, "Fokusområde: "), h("span", { class: "title" }, fa.title)),
      children: roots.filter((g) => g.focusArea && g.focusArea.id === fa.id).map((g) => goalNode(g, goals, new Set())),
    })),
  }));
  // Goals outside every focus area (financial and operational goals …), grouped by kind.
  const loose = roots.filter((g) => !g.focusArea || !chain.visions.some((v) => v.focusAreas.some((f) => f.id === g.focusArea.id)));
  const kinds = [...new Set(loose.map((g) => g.kind))];
  for (const kind of kinds) {
    nodes.push({
      attrs: { "data-kind": "goal-group" },
      label: h("span", { class: "item focus-area" }, h("span", { class: "title" }, GROUP[kind] || "Övriga mål")),
      children: loose.filter((g) => g.kind === kind).map((g) => goalNode(g, goals, new Set())),
    });
  }
  return nodes;
}

async function loadChain() {
  const main = $("main");
  main.setAttribute("aria-busy", "true");
  document.body.dataset.state = "loading";
  chain = await gql(CHAIN, { m: state.municipality, year: state.year });
  const name = (municipalities.find((m) => m.municipalityCode === state.municipality) || {}).name || state.municipality;
  $("#chain-heading").textContent = `Styrkedjan för ${name} ${state.year}`;
  const nodes = chainNodes();
  if (nodes.length) renderTree($("#tree"), nodes, { label: `Styrkedjan för ${name} ${state.year}` });
  else $("#tree").replaceChildren(h("p", { class: "empty" }, "Inga mål i kraft det här året."));
  renderFollowUps();
  main.removeAttribute("aria-busy");
  document.body.dataset.state = "ready";
}

function renderFollowUps() {
  const select = $("#uppfoljning");
  const follow = chain.followUps.nodes;
  if (!follow.some((f) => f.id === state.followUp)) state.followUp = follow.length ? follow[0].id : null;
  select.replaceChildren(
    ...follow.map((f) => h("option", { value: f.id }, `${followUpName(f)}${f.approved ? " (fastställd)" : ""}`)),
    h("option", { value: "" }, "Beräknad från indikatorerna"));
  select.value = state.followUp ? String(state.followUp) : "";
  renderSummary();
}

/** The attainment summary: the follow-up's assessments, or the roll-up from the indicators. */
function renderSummary() {
  const goals = chain.goals.nodes;
  const f = chain.followUps.nodes.find((x) => x.id === state.followUp);
  const name = (municipalities.find((m) => m.municipalityCode === state.municipality) || {}).name || "";
  const judgement = (g) => {
    if (!f) return g.attainment.assessment;
    const a = f.assessments.find((x) => x.goal && x.goal.id === g.id);
    return a ? a.assessment : "NOT_ASSESSED";
  };
  const counts = { ACHIEVED: 0, PARTLY_ACHIEVED: 0, NOT_ACHIEVED: 0, NOT_ASSESSED: 0 };
  for (const g of goals) counts[judgement(g)] += 1;
  const source = f
    ? `Bedömningar i ${followUpName(f)}${f.approved ? ", fastställd" : ", ej fastställd"}.`
    : `Ingen uppföljning vald: måluppfyllelsen är beräknad från indikatorernas senaste värden mot målvärdena.`;
  $("#summary-heading").textContent = `Måluppfyllelse ${name} ${state.year}`;
  $("#summary-body").replaceChildren(
    h("p", { class: "source" }, source),
    h("ul", { class: "counts", "aria-label": "Antal mål per bedömning" },
      Object.entries(counts).map(([k, n]) => h("li", { "data-assessment": k }, badge(ASSESSMENT, k), h("strong", {}, ` ${n}`), " mål"))),
    h("table", { class: "summary-table" },
      h("caption", { class: "sr-only" }, "Måluppfyllelse per mål"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Mål"), h("th", { scope: "col" }, "Bedömning"),
        h("th", { scope: "col" }, "Prognos"), h("th", { scope: "col" }, "Analys"))),
      h("tbody", {}, goals.map((g) => {
        const a = f ? g.assessments.find((x) => x.followUp && x.followUp.id === f.id) : null;
        return h("tr", {},
          h("th", { scope: "row" }, g.title, h("span", { class: "meta" }, ` (${GOAL_KIND[g.kind] || g.kind})`)),
          h("td", {}, badge(ASSESSMENT, judgement(g))),
          h("td", {}, a && a.forecast ? badge(ASSESSMENT, a.forecast) : "–"),
          h("td", {}, a && a.analysis ? a.analysis : f ? "–" : `${g.attainment.onTarget} av ${g.attainment.onTarget + g.attainment.notOnTarget} indikatorer uppfyllda`));
      }))));
}

function seriesUrl(id, areas, format, genders) {
  const q = new URLSearchParams({ area: areas.join(","), to: String(state.year), format });
  if (genders) q.set("gender", genders);
  return `/api/v1/indicators/${id}/series?${q}`;
}

async function openIndicator(id) {
  state.indicator = id;
  writeAddress();
  const panel = $("#indicator");
  panel.dataset.state = "loading";
  panel.setAttribute("aria-busy", "true");
  const areas = [state.municipality, COUNTRY, ...state.compare.filter((c) => c !== COUNTRY)];
  const group = groups.find((g) => g.code === state.group) || null;
  const data = await gql(CHART, {
    id, areas, home: [state.municipality], to: state.year,
    group: group ? [group.code] : [], area: state.municipality, withGroup: Boolean(group),
  });
  const ind = data.indicator;
  if (!ind) {
    panel.replaceChildren(h("p", {}, "Indikatorn finns inte."));
    panel.dataset.state = "ready";
    return;
  }
  const hasValues = (series) => series.some((sr) => sr.points.some((p) => p.value !== null));
  const byGender = hasValues(ind.women) || hasValues(ind.men);
  const nameOf = (sr) => (sr.area === COUNTRY ? COUNTRY_NAME : sr.areaName || sr.area);
  const ordered = areas.map((a) => ind.total.find((sr) => sr.area === a)).filter(Boolean);
  const lines = ordered.map((sr, i) => ({ label: nameOf(sr), area: sr.area, gender: "T", points: sr.points, style: lineStyle(i) }));
  if (byGender) {
    for (const [sr, g, i] of [[ind.women[0], "K", 4], [ind.men[0], "M", 5]]) {
      if (sr) lines.push({ label: `${nameOf(sr)}, ${GENDER[g].toLowerCase()}`, area: sr.area, gender: g, points: sr.points, style: lineStyle(i) });
    }
  }
  // The group: its mean as a line, its spread (lowest to highest) as a band, the rank below.
  const figures = group && ind.group ? ind.group : [];
  const bands = [];
  if (group) {
    lines.push({ label: `Snitt ${group.title}`, area: group.code, gender: "T", kind: "group-mean", style: GROUP_STYLE,
      points: figures.map((f) => ({ period: f.period, value: f.mean })) });
    if (figures.length) {
      bands.push({ label: `Spridning ${group.title} (lägsta–högsta)`, area: group.code, style: GROUP_STYLE,
        points: figures.map((f) => ({ period: f.period, lo: f.min, hi: f.max })) });
    }
  }
  const ranked = [...figures].reverse().find((f) => f.rank !== null);
  const rankText = ranked
    ? `Plats ${ranked.rank} av ${ranked.of} i ${group.title} ${ranked.period} (${ind.direction === "DECREASE" ? "lägst värde" : "högst värde"} först), ` +
      `percentil ${formatValue(ranked.percentile)}; gruppens snitt ${formatValue(ranked.mean)} över ${ranked.withValue} av ${ranked.members} kommuner.`
    : group ? `${group.title}: ingen rangordning, ${figures.length ? `${municipalityName()} saknar värde.` : "inga värden för gruppen."}` : null;
  const home = ind.targets.filter((t) => t.area === state.municipality);
  const targets = home.filter((t) => t.kind === "ABSOLUTE").map((t) => ({
    from: t.periodFrom, to: t.periodTo, value: t.value, label: `Målvärde ${t.periodFrom}${t.periodTo ? `–${t.periodTo}` : "–"}: ${targetText(t)}`,
  }));
  const periods = [...new Set(lines.flatMap((l) => l.points.map((p) => p.period)))].sort((a, b) => a - b);
  const targetFor = (p) => home.find((t) => t.periodFrom <= p && (t.periodTo === null || t.periodTo >= p));
  const node = chain.goals.nodes.flatMap((g) => g.indicators).find((i) => i.id === id);
  const status = node ? node.status : null;
  const genders = byGender ? "T,K,M" : null;

  // Parts that do not apply are null: left out, not shown as text.
  panel.replaceChildren(...[
    h("h2", { id: "indicator-heading", tabindex: "-1" }, ind.title),
    h("p", { class: "meta" },
      [ind.unit, ind.desiredText || DIRECTION[ind.direction], ind.kpiId ? `Kolada ${ind.kpiId}` : null].filter(Boolean).join(" · ")),
    status ? h("p", { class: "verdict" }, badge(STATUS, status.status), " ", trendArrow(status.trend), " ",
      status.period ? `Senaste värde ${formatValue(status.value)} (${status.period}), ${trendText(status.trend)}.` : "Inget värde att bedöma.",
      status.period && status.period !== state.year ? ` Inget värde för ${state.year} ännu: bedömningen avser ${status.period}.` : "") : null,
    rankText ? h("p", { class: "rank", "data-rank": ranked ? `${ranked.rank}/${ranked.of}` : "" }, rankText) : null,
    renderChart({ title: ind.title, unit: ind.unit, lines, targets, bands }),
    h("p", { class: "downloads" },
      h("a", { id: "csv-link", href: seriesUrl(id, areas, "csv", genders), download: "", "data-download": "" }, "Ladda ner CSV"), " · ",
      h("a", { id: "csv-excel-link", href: seriesUrl(id, areas, "csv-excel", genders), download: "", "data-download": "" }, "CSV för Excel"), " · ",
      h("a", { id: "jsonstat-link", href: seriesUrl(id, areas, "jsonstat", genders), "data-download": "" }, "JSON-stat")),
    h("table", { class: "data-table", "data-table": "series" },
      h("caption", {}, `Värden för ${ind.title}${ind.unit ? ` (${ind.unit})` : ""}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "År"),
        lines.map((l) => h("th", { scope: "col" }, l.label)),
        bands.map((b) => h("th", { scope: "col" }, b.label)), h("th", { scope: "col" }, "Målvärde"))),
      h("tbody", {}, periods.map((p) => h("tr", {},
        h("th", { scope: "row" }, String(p)),
        lines.map((l) => {
          const pt = l.points.find((x) => x.period === p);
          return h("td", {}, formatValue(pt ? pt.value : null));
        }),
        bands.map((b) => {
          const pt = b.points.find((x) => x.period === p);
          return h("td", {}, pt ? `${formatValue(pt.lo)}–${formatValue(pt.hi)}` : "–");
        }),
        h("td", {}, targetFor(p) ? targetText(targetFor(p)) : "–"))))),
    ind.total.some((sr) => sr.points.some((p) => p.isExample))
      ? h("p", { class: "note" }, "Värdena är genererade exempel för demon, inte verkliga siffror.") : null,
    ind.total.some((sr) => sr.points.some((p) => p.source === "KOLADA"))
      ? h("p", { class: "note source-note" }, "Källa: Kolada (RKA).",
        figures.length ? " Gruppens snitt, spridning och rangordning är beräknade av Styrhub ur de värdena." : "") : null,
  ].filter(Boolean));
  panel.removeAttribute("aria-busy");
  panel.dataset.state = "ready";
  panel.dataset.indicatorId = String(id);
}

async function reload({ years = false } = {}) {
  try {
    $("#message").hidden = true;
    if (years) await Promise.all([loadYears(), loadGroups()]);
    renderCompare();
    writeAddress();
    await loadChain();
    const item = state.indicator && document.querySelector(`#tree [data-indicator-id="${state.indicator}"]`);
    if (item) {
      reveal(item);
      await openIndicator(state.indicator);
    } else {
      state.indicator = null;
      writeAddress();
      $("#indicator").replaceChildren(h("p", { class: "empty" }, "Välj en indikator i styrkedjan för att se dess utveckling."));
      $("#indicator").dataset.state = "empty";
    }
  } catch (e) {
    document.body.dataset.state = "error";
    showError("Kunde inte hämta data", e);
  }
}

/** Asks for an API token: the server answers reads only with one. `refused`: the last one given was not accepted. */
function askForToken(refused) {
  document.body.dataset.state = "token";
  $("#message").hidden = true;
  $("#token-refused").hidden = !refused;
  $("#token-form").hidden = false;
  $("#token").focus();
}

/** Loads the municipalities, then everything else; asks for a token when the server wants one. */
async function load() {
  try {
    await loadMunicipalities();
  } catch (e) {
    if (e.code === "UNAUTHENTICATED") {
      askForToken(Boolean(token()));
      return;
    }
    document.body.dataset.state = "error";
    showError("Kunde inte hämta kommunerna", e);
    return;
  }
  $("#token-form").hidden = true;
  await reload({ years: true });
}

async function start() {
  readAddress();
  $("#token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("#token").value.trim());
    $("#token").value = "";
    load();
  });
  // With a token, a download link is fetched with it: a plain link cannot send one.
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-download]");
    if (!a || !token()) return;
    e.preventDefault();
    download(a.getAttribute("href")).catch((err) => showError("Kunde inte hämta filen", err));
  });
  $("#kommun").addEventListener("change", (e) => {
    state.municipality = e.target.value;
    state.indicator = null;
    reload({ years: true });
  });
  $("#ar").addEventListener("change", (e) => {
    state.year = Number(e.target.value);
    reload();
  });
  $("#jamfor").addEventListener("change", (e) => {
    state.compare = [...e.target.selectedOptions].map((o) => o.value);
    writeAddress();
    if (state.indicator) openIndicator(state.indicator).catch((err) => showError("Kunde inte hämta serien", err));
  });
  $("#grupp").addEventListener("change", (e) => {
    state.group = e.target.value || null;
    writeAddress();
    if (state.indicator) openIndicator(state.indicator).catch((err) => showError("Kunde inte hämta serien", err));
  });
  $("#uppfoljning").addEventListener("change", (e) => {
    state.followUp = Number(e.target.value) || null;
    renderSummary();
  });
  $("#print").addEventListener("click", () => window.print());
  await load();
}

start();
