// One match as a card: both sides, the score and the explanation.
//
// The explanation's fields are listed once, in EXPLANATION: the selection sent to the
// hub and the rendering both come from it. Fields the schema no longer has are left
// out; scalar and skill fields the list does not know yet are shown under their own
// name, so a new field of MatchExplanation appears without a change here (give it an
// entry for a better label, or to show another object type). All data goes into the
// page as text, never HTML.

const SKILLS = "id de en";

/** [field, label, selection below the field or "" for a scalar, format] */
export const EXPLANATION = [
  ["matchedSkills", "Matched skills", SKILLS, skills],
  ["relatedSkills", "Related skills", SKILLS, skills],
  ["missingSkills", "Missing skills", SKILLS, skills],
  ["distanceKm", "Distance", "", (km) => (km == null ? "no place given" : `${km.toFixed(1)} km`)],
  ["overlappingDays", "Overlapping days", "", (days) => `${days} days`],
  ["quantityCovered", "Quantity covered", "", plain],
];

function skills(value) {
  const list = [value ?? []].flat();
  return list.length ? list.map((skill) => skill.en || skill.de || skill.id).join(", ") : "none";
}

function plain(value) {
  if (value == null) return "—";
  if (Array.isArray(value)) return value.length ? value.map(plain).join(", ") : "none";
  if (typeof value === "object") return Object.values(value).map(plain).join(" ");
  return String(value);
}

/** "distanceKm" -> "Distance km" */
function labelOf(field) {
  const words = field.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function namedType(type) {
  return type.ofType ? namedType(type.ofType) : type;
}

/**
 * The explanation's entries for the schema's fields (introspected; null when the hub
 * does not allow introspection: then the known list as it is).
 */
export function explanationEntries(fields) {
  if (!fields) return EXPLANATION;
  const present = new Map(fields.map((field) => [field.name, namedType(field.type)]));
  const known = EXPLANATION.filter(([field]) => present.has(field));
  const added = [...present]
    .filter(([field]) => !EXPLANATION.some(([name]) => name === field))
    .map(([field, type]) => newEntry(field, type))
    .filter(Boolean);
  return [...known, ...added];
}

/** An entry for a field EXPLANATION does not list; null for other object types. */
function newEntry(field, type) {
  if (type.name === "Skill") return [field, labelOf(field), SKILLS, skills];
  if (type.kind === "SCALAR" || type.kind === "ENUM") return [field, labelOf(field), "", plain];
  return null;
}

export function selectionOf(entries) {
  return entries.map(([field, , below]) => (below ? `${field} { ${below} }` : field)).join(" ");
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function term(list, label, value) {
  list.append(element("dt", label), element("dd", value));
}

function organisation(side) {
  return side?.organisation?.name ?? "not visible to this key";
}

/** The clusters of either side: a match belongs to each. */
export function clustersOf(match) {
  return [...new Set([...(match.offer?.clusterIds ?? []), ...(match.need?.clusterIds ?? [])])];
}

/** The card (an <li>) for a match; `clusterName` labels cluster keys. */
export function matchCard(match, entries, clusterName) {
  const item = element("li", null, match.active === false ? "match retracted" : "match");
  item.dataset.key = match.key;
  const card = element("article");
  const heading = element("h3");
  heading.append(
    element("span", match.offer?.title ?? "An offer", "offer"),
    element("span", " → ", "arrow"),
    element("span", match.need?.title ?? "A need", "need"),
  );
  const score = element("p", `Score ${match.score.toFixed(2)}`, "score");
  const facts = element("dl");
  term(facts, "Offer by", organisation(match.offer));
  term(facts, "Need of", organisation(match.need));
  term(facts, "Kind", match.kind);
  term(facts, "Status", match.active === false ? `${match.status} (retracted)` : match.status);
  term(facts, "Clusters", plain(clustersOf(match).map(clusterName)));
  for (const [field, label, , format] of entries) {
    term(facts, label, format(match.explanation[field]));
  }
  const trainings = match.suggestedTrainings.map(
    (offer) => `${offer.title} (${organisation(offer)})`,
  );
  term(facts, "Suggested trainings", trainings.length ? trainings.join("; ") : "none");
  card.append(heading, score, facts);
  item.append(card);
  return item;
}
