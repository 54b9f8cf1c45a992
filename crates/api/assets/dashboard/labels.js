// Swedish labels and how each verdict is shown. A verdict always carries a symbol and a word
// besides its colour, so that it reads without colour vision and in black-and-white print.

/** Indicator statuses (TargetStatus). */
export const STATUS = {
  ON_TARGET: { text: "Uppfyllt", symbol: "✓", cls: "ok" },
  NOT_ON_TARGET: { text: "Ej uppfyllt", symbol: "✕", cls: "bad" },
  NO_DATA: { text: "Ingen data", symbol: "–", cls: "none" },
};

/** Goal assessments and rolled-up attainments (Assessment). */
export const ASSESSMENT = {
  ACHIEVED: { text: "Uppfyllt", symbol: "✓", cls: "ok" },
  PARTLY_ACHIEVED: { text: "Delvis uppfyllt", symbol: "◐", cls: "partly" },
  NOT_ACHIEVED: { text: "Ej uppfyllt", symbol: "✕", cls: "bad" },
  NOT_ASSESSED: { text: "Ej bedömt", symbol: "–", cls: "none" },
};

/** Trends (TrendKind): the word, and whether the move is for the better. */
export const TREND = {
  IMPROVING: { text: "förbättras", cls: "ok" },
  WORSENING: { text: "försämras", cls: "bad" },
  STABLE: { text: "oförändrad", cls: "none" },
  CHANGING: { text: "förändras", cls: "none" },
  INSUFFICIENT: { text: "för få värden", cls: "none" },
};

/** Follow-up reports (FollowUpKind), when the governance model gives no name. */
export const FOLLOW_UP = {
  INTERIM_REPORT_1: "Delårsrapport 1",
  INTERIM_REPORT_2: "Delårsrapport 2",
  ANNUAL_REPORT: "Årsredovisning",
  MONTHLY: "Månadsrapport",
};

/** Goal kinds (GoalKind). */
export const GOAL_KIND = {
  COUNCIL_GOAL: "Prioriterat mål",
  FINANCIAL_GOAL: "Finansiellt mål",
  OPERATIONAL_GOAL: "Verksamhetsmål",
  COMMITTEE_GOAL: "Nämndmål",
  DEVELOPMENT_GOAL: "Utvecklingsmål",
  UNIT_GOAL: "Enhetsmål",
  COMPANY_GOAL: "Bolagsmål",
};

/** Desired directions (Direction). */
export const DIRECTION = {
  INCREASE: "ska öka",
  DECREASE: "ska minska",
  NONE: "ingen önskad riktning",
};

export const GENDER = { T: "Totalt", K: "Kvinnor", M: "Män" };

/** The whole country's area code and name. */
export const COUNTRY = "0000";
export const COUNTRY_NAME = "Riket";

const number = new Intl.NumberFormat("sv-SE", { maximumFractionDigits: 2 });

/** A value the Swedish way (decimal comma, thin-space thousands); a dash when missing. */
export function formatValue(v) {
  return v === null || v === undefined ? "–" : number.format(v);
}

/** A follow-up's name: the model's own name for its kind, else the standard one. */
export function followUpName(f) {
  const rules = (f.governanceModel && f.governanceModel.followUpRules) || [];
  const rule = rules.find((r) => r.kind === f.kind);
  const name = rule ? rule.name : FOLLOW_UP[f.kind] || f.kind;
  return f.month ? `${name} ${f.year}-${String(f.month).padStart(2, "0")}` : `${name} ${f.year}`;
}

/** A target in words, e.g. "minst 4", "över Riket", "ska öka". */
export function targetText(t) {
  if (t.note) return t.note;
  const cmp = {
    at_least: "minst", at_most: "högst", equal: "lika med", above: "över", below: "under",
    increase: "ska öka", decrease: "ska minska", not_decrease: "ska inte minska",
    not_increase: "ska inte öka",
  }[t.comparison] || t.comparison;
  if (t.kind === "ABSOLUTE") return `${cmp} ${formatValue(t.value)}`;
  if (t.kind === "RELATIVE") {
    const ref = t.referenceArea === COUNTRY ? COUNTRY_NAME : t.referenceArea;
    return `${cmp} ${ref}`;
  }
  return cmp;
}
