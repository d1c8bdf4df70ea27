// cfn-lint's YAML decoder (cfnlint.decode.cfn_yaml, PyYAML's SafeLoader underneath) as an oracle: how
// CloudFormation's own linter reads a template text. One python process reads a whole batch of texts.
// Gate suites that use it on TOOLS.cfnLint (test/support/tools.ts).
//
// Python values without a JSON form are converted explicitly, the same way on both sides of a comparison:
//   - datetime.date / datetime.datetime -> their isoformat() text (what cfn-lint's StringLength rule measures);
//   - float inf, -inf, nan -> the objects {"$float": "inf" | "-inf" | "nan"} (see `comparable`);
//   - mapping keys -> the text json.dumps gives them (True -> "true", 493 -> "493", 1.0 -> "1.0"; dates isoformat);
//   - anything else (bytes from !!binary, sets) -> an error: it cannot be a template value.
import { runPythonJson } from './python-json.js';

const ORACLE_PY = `
import datetime, json, math, sys
from cfnlint.decode import cfn_yaml

class NoJsonForm(Exception):
    pass

def key(k):
    if isinstance(k, (datetime.date, datetime.datetime)):
        return k.isoformat()
    if isinstance(k, (str, bool, int, float)) or k is None:
        return next(iter(json.loads(json.dumps({k: 0}))))
    raise NoJsonForm("mapping key %r has no JSON form" % (k,))

def value(v):
    if isinstance(v, dict):
        return {key(k): value(item) for k, item in v.items()}
    if isinstance(v, list):
        return [value(item) for item in v]
    if isinstance(v, str):
        return str(v)
    if isinstance(v, bool) or v is None or isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return {"$float": "nan"}
        if math.isinf(v):
            return {"$float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    raise NoJsonForm("%s value %r has no JSON form" % (type(v).__name__, v))

results = []
for text in json.load(sys.stdin):
    try:
        results.append({"value": value(cfn_yaml.loads(text))})
    except Exception as error:
        results.append({"error": "%s: %s" % (type(error).__name__, error)})
json.dump(results, sys.stdout)
`;

export type OracleReading = { readonly value: unknown } | { readonly error: string };

/** Reads each text with cfn-lint's decoder, in one python process; results in the same order. */
export function readWithCfnLint(texts: readonly string[]): Promise<OracleReading[]> {
  return runPythonJson<OracleReading[]>(ORACLE_PY, texts, { what: 'cfn-lint YAML oracle' });
}

/** The JSON a reading is compared as: non-finite numbers become the oracle's {"$float": ...} objects. */
export function comparable(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { $float: Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf' };
  }
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, comparable(item)]));
  }
  return value;
}
