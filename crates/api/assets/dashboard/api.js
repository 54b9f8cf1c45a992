// The dashboard's only data source: the public GraphQL API at /graphql (POST JSON). Every
// query the page runs is here, so that a dashboard builder can read them in one place.

/** A GraphQL error answer, with the server's `extensions.code` when given. */
export class GraphQLError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "GraphQLError";
    this.code = code;
  }
}

// A server started with --require-token-for-reads answers only callers with an API token. The
// reader gives it once; it is kept for this browser tab only (sessionStorage, gone when the tab
// closes; never localStorage or a cookie) and sent with every request.
const TOKEN_KEY = "styrhub-token";

/** The API token given for this tab, or null. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps `value` as the tab's API token; an empty value forgets it. */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function authorization() {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** Runs `query` with `variables`; resolves to `data`, rejects with a GraphQLError. */
export async function gql(query, variables = {}) {
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...authorization() },
    body: JSON.stringify({ query, variables }),
  });
  if (res.status === 401) throw new GraphQLError("API-token krävs", "UNAUTHENTICATED");
  if (!res.ok) throw new GraphQLError(`/graphql svarade ${res.status}`, "HTTP");
  const body = await res.json();
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    throw new GraphQLError(e.message, e.extensions && e.extensions.code);
  }
  return body.data;
}

/**
 * Saves the REST file at `url` (a series as CSV or JSON-stat) with the tab's token: a plain
 * link cannot send one. The file keeps the name the server gives it.
 */
export async function download(url) {
  const res = await fetch(url, { headers: authorization() });
  if (!res.ok) throw new GraphQLError(`${url} svarade ${res.status}`, res.status === 401 ? "UNAUTHENTICATED" : "HTTP");
  const named = /filename="?([^";]+)"?/.exec(res.headers.get("content-disposition") || "");
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = named ? named[1] : url.split("/").pop().split("?")[0];
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

/** The municipalities to pick from. */
export const MUNICIPALITIES = `
query Kommuner {
  municipalities { id name municipalityCode }
}`;

/** What the year picker needs: the models' years, the follow-ups, and the latest values. */
export const YEARS = `
query Ar($m: String!) {
  governanceModels(municipality: $m) { key name validFrom validTo }
  followUps(municipality: $m, first: 100) { nodes { year } }
  indicators(municipality: $m, first: 1000) { nodes { latestValue { period } } }
}`;

// Judged as of the year picked: the series as it stood then (the latest value up to it).
const INDICATOR = `
  id title unit direction desiredText kpiId
  status(period: $year) {
    status explanation period value
    trend { kind since change description }
  }`;

/** The chain for a municipality and a year: visions, the goals in force, the follow-ups. */
export const CHAIN = `
query Kedja($m: String!, $year: Int!) {
  visions(municipality: $m) {
    id title statement horizonYear
    focusAreas { id title position }
  }
  goals(municipality: $m, filter: { year: $year }, first: 1000) {
    nodes {
      id title kind position
      owner { name shortName }
      focusArea { id }
      parents { id }
      attainment(period: $year) { assessment share onTarget notOnTarget noData }
      assessments {
        assessment forecast analysis
        followUp { id kind year month }
      }
      indicators { ${INDICATOR} }
    }
  }
  followUps(municipality: $m, year: $year, first: 100) {
    nodes {
      id kind year month approved
      governanceModel { name followUpRules { kind name } }
      assessments { assessment goal { id } }
    }
  }
}`;

/** The comparison groups a municipality may pick: its own and Kolada's the hub stores. */
export const GROUPS = `
query Grupper($m: String!) {
  comparisonGroups(municipality: $m) { code title source }
}`;

/** One indicator's chart: the series for the areas (total), per gender for the municipality,
 * and, with a group picked, the group's mean and spread with the municipality's rank in it
 * (in the indicator's desired direction). */
export const CHART = `
query Diagram($id: Int!, $areas: [String!]!, $home: [String!]!, $to: Int, $group: [String!]!, $area: String, $withGroup: Boolean!) {
  indicator(id: $id) {
    id title unit direction desiredText kpiId
    kpi { title isDividedByGender }
    targets { area periodFrom periodTo kind comparison value referenceArea note }
    total: series(areas: $areas, to: $to) { area areaName gender points { period value isExample source } }
    women: series(areas: $home, to: $to, gender: K) { area areaName gender points { period value } }
    men: series(areas: $home, to: $to, gender: M) { area areaName gender points { period value } }
    group: groupSeries(group: $group, area: $area, to: $to) @include(if: $withGroup) {
      period members withValue mean min max value rank of percentile
    }
  }
}`;
