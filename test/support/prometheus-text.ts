/**
 * A strict parser of the Prometheus text exposition format (0.0.4), enough to prove that
 * /metrics is what a Prometheus server would accept: every line is a comment, a HELP/TYPE
 * line or a sample; every sample belongs to a declared family; no series appears twice;
 * histogram buckets are cumulative and end with +Inf equal to _count.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
const SUFFIXES: Record<MetricType, string[]> = { counter: [''], gauge: [''], untyped: [''], histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export class PrometheusParseError extends Error {
  constructor(lineNumber: number, line: string, reason: string) {
    super(`line ${lineNumber}: ${reason}: ${JSON.stringify(line)}`);
    this.name = 'PrometheusParseError';
  }
}

function parseValue(text: string): number | null {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : null;
}

function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = LABEL_PAIR.exec(rest);
    if (!match || match[1]! in labels) return null;
    labels[match[1]!] = match[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const bySampleName = new Map<string, MetricFamily>();
  const seenSeries = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const n = index + 1;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!new RegExp(`^${NAME}$`).test(name!)) throw new PrometheusParseError(n, line, 'bad metric name');
      let family = families.get(name!);
      if (!family) families.set(name!, (family = { name: name!, type: 'untyped', help: '', samples: [] }));
      if (kind === 'HELP') family.help = rest!;
      else {
        if (!(rest! in SUFFIXES)) throw new PrometheusParseError(n, line, 'unknown type');
        if (family.samples.length > 0) throw new PrometheusParseError(n, line, 'TYPE after samples');
        family.type = rest as MetricType;
        for (const suffix of SUFFIXES[family.type]) bySampleName.set(name! + suffix, family);
      }
      return;
    }
    if (line.startsWith('#')) return;
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new PrometheusParseError(n, line, 'not a sample');
    const [, name, labelText, valueText] = sample;
    const labels = labelText === undefined ? {} : parseLabels(labelText);
    if (!labels) throw new PrometheusParseError(n, line, 'bad labels');
    const value = parseValue(valueText!);
    if (value === null) throw new PrometheusParseError(n, line, 'bad value');
    const family = bySampleName.get(name!);
    if (!family) throw new PrometheusParseError(n, line, 'sample of an undeclared family');
    const series = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`;
    if (seenSeries.has(series)) throw new PrometheusParseError(n, line, 'duplicate series');
    seenSeries.add(series);
    family.samples.push({ name: name!, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, Sample[]>();
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
  for (const s of family.samples.filter((s) => s.name.endsWith('_bucket'))) {
    if (!('le' in s.labels)) throw new Error(`${family.name}: bucket without le`);
    groups.set(keyOf(s.labels), [...(groups.get(keyOf(s.labels)) ?? []), s]);
  }
  for (const [key, buckets] of groups) {
    const sorted = [...buckets].sort((a, b) => Number(a.labels.le === '+Inf' ? Infinity : a.labels.le) - Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
    sorted.forEach((b, i) => {
      if (i > 0 && b.value < sorted[i - 1]!.value) throw new Error(`${family.name} ${key}: buckets are not cumulative`);
    });
    const last = sorted[sorted.length - 1]!;
    const count = family.samples.find((s) => s.name === `${family.name}_count` && keyOf(s.labels) === key);
    if (last.labels.le !== '+Inf' || !count || count.value !== last.value) throw new Error(`${family.name} ${key}: +Inf bucket missing or not equal to _count`);
  }
}

/** The samples of a family whose labels include `labels`. */
export function samplesOf(families: Map<string, MetricFamily>, family: string, labels: Record<string, string> = {}, sampleName = family): Sample[] {
  return (families.get(family)?.samples ?? []).filter((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
