// The deployed form of the CodeBuild job. src/mirror/buildspec.yaml is the one source, written for readers; CodeBuild
// refuses an inline buildspec longer than 25,600 characters (DEVELOPERS.md, "Quirks"), which the commented source
// exceeds. template.yaml and the packaged templates therefore carry its compact form: the same YAML without comments,
// re-emitted with two-space indentation, and each bash command compacted by scripts/bash-compact.ts (comments, blank
// lines and indentation removed), the steps script the install phase writes (here-document STEPS) included.
//
// Every compaction is proved before it is returned: the compact YAML reads back (YAML 1.1 and 1.2) as the source with
// each command replaced by its compact form, and bash itself reads every command and the steps script alike (the
// function bash prints with `declare -f` around the original and around the compact text is the same; bash prints
// code, never comments or layout, while quoted strings and here-documents are printed as written).
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parse, parseDocument, visit, type Document } from 'yaml';
import { type CompactedBash, compactBash } from './bash-compact.js';

/**
 * CodeBuild's limit for an inline buildspec (CreateProject/UpdateProject, hence AWS::CodeBuild::Project
 * Source.BuildSpec): "Max buildspec length is 25600" (InvalidInputException; aws/aws-cdk#30326, aws/aws-cdk#14974).
 */
export const INLINE_BUILDSPEC_MAX_LENGTH = 25_600;
/** Here-documents of the buildspec whose body is a bash script: the install phase writes the steps file with `<<'STEPS'`. */
export const SCRIPT_HEREDOCS = ['STEPS'] as const;
/** The compact form's first lines: where the readable source is, and why this is not it. */
export const COMPACT_HEADER = ' Compact form of src/mirror/buildspec.yaml (sysdig-image-fix): no comments or indentation (CodeBuild limit).';

/** A buildspec that cannot be compacted, or whose compact form does not prove equal; the message says where. */
export class BuildSpecCompactionError extends Error {
  override readonly name = 'BuildSpecCompactionError';
}

const PHASE_LISTS = ['commands', 'finally'] as const;

/** `path -> command` for every bash command of a parsed buildspec (phases.<phase>.commands / finally). */
function commandsOf(spec: unknown): Map<string, string> {
  const found = new Map<string, string>();
  const phases = (spec as { phases?: unknown } | null)?.phases;
  if (phases === null || typeof phases !== 'object') return found;
  for (const [phase, body] of Object.entries(phases)) {
    for (const list of PHASE_LISTS) {
      const commands = (body as Record<string, unknown> | null)?.[list];
      if (!Array.isArray(commands)) continue;
      commands.forEach((command, index) => {
        if (typeof command === 'string') found.set(`phases.${phase}.${list}[${index}]`, command);
      });
    }
  }
  return found;
}

function compactCommand(command: string, where: string): CompactedBash {
  try {
    return compactBash(command, { scriptHeredocs: SCRIPT_HEREDOCS });
  } catch (error) {
    throw new BuildSpecCompactionError(`${where}: ${(error as Error).message}`);
  }
}

/** The source document without comments, each command compacted (node styles kept: a block literal stays one). */
function compactDocument(source: string): Document {
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new BuildSpecCompactionError(`the buildspec is not valid YAML: ${doc.errors[0]!.message}`);
  visit(doc, {
    Node(_, node) {
      node.commentBefore = undefined;
      node.comment = undefined;
      node.spaceBefore = undefined;
    },
  });
  doc.comment = null;
  doc.commentBefore = COMPACT_HEADER;
  const phases = doc.get('phases');
  if (!isMap(phases)) return doc;
  for (const phase of phases.items) {
    for (const list of PHASE_LISTS) {
      const commands = isMap(phase.value) ? phase.value.get(list) : undefined;
      if (!isSeq(commands)) continue;
      commands.items.forEach((item, index) => {
        if (isScalar(item) && typeof item.value === 'string') item.value = compactCommand(item.value, `phases.${String(phase.key)}.${list}[${index}]`).text;
      });
    }
  }
  return doc;
}

/**
 * The compact form of a buildspec (see the header), proved equal to it; throws BuildSpecCompactionError when it
 * cannot be made or proved.
 */
export function compactBuildSpec(source: string): string {
  const compact = compactDocument(source).toString({ lineWidth: 0, indent: 2, indentSeq: false });
  const problems = compactionProblems(source, compact);
  if (problems.length > 0) throw new BuildSpecCompactionError(`the compact buildspec is not equal to its source:\n  ${problems.join('\n  ')}`);
  return compact;
}

/** What differs between a buildspec and a compact form of it beyond comments and layout (empty when nothing). */
export function compactionProblems(source: string, compact: string): string[] {
  const problems: string[] = [];
  const sourceCommands = commandsOf(parse(source));
  for (const version of ['1.1', '1.2'] as const) {
    const expected = parse(source, { version });
    const got = parse(compact, { version });
    // The expected document: the source's, with each command replaced by its compact form.
    const compactCommands = commandsOf(got);
    for (const [where, command] of sourceCommands) {
      const [phase, list, index] = /^phases\.(.+)\.(commands|finally)\[(\d+)\]$/.exec(where)!.slice(1);
      expected.phases[phase!][list!][Number(index)] = compactCommands.get(where) ?? command;
    }
    if (!isDeepStrictEqual(got, expected)) problems.push(`YAML ${version}: the compact form does not read as the source with its commands compacted`);
  }
  const compactCommands = commandsOf(parse(compact));
  for (const [where, command] of sourceCommands) {
    const compacted = compactCommands.get(where);
    if (compacted === undefined) problems.push(`${where}: missing from the compact form`);
    else problems.push(...bashProblems(where, command, compacted));
  }
  return problems;
}

/** Whether bash reads `compacted` (a compact form of `original` as compactBash makes it) as it reads `original`. */
function bashProblems(where: string, original: string, compacted: string): string[] {
  const made = compactCommand(original, where);
  if (made.text !== compacted) return [`${where}: not the compact form of the source's command`];
  const syntax = bashSyntaxError(compacted);
  if (syntax !== undefined) return [`${where}: bash -n refuses the compact form: ${syntax}`];
  return provedAlike(where, original, made);
}

/** Whether bash reads `made` (compactBash's result for `original`) as `original`, script here-documents included. */
export function provedAlike(where: string, original: string, made: CompactedBash): string[] {
  const difference = readingDifference(original, made.withOriginalBodies);
  if (difference !== undefined) return [`${where}: bash reads the compact form differently: ${difference}`];
  return made.bodies.flatMap((body, index) => provedAlike(`${where} (script here-document ${index + 1})`, body.original, body.compact));
}

const BASH = ['--norc', '--noprofile'];
const BASH_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

function bashSyntaxError(script: string): string | undefined {
  const result = spawnSync('bash', [...BASH, '-n'], { input: script, encoding: 'utf8', env: BASH_ENV });
  if (result.error) throw new BuildSpecCompactionError(`cannot run bash to check the compact buildspec: ${result.error.message}`);
  return result.status === 0 ? undefined : result.stderr.trim() || `exit status ${result.status}`;
}

/**
 * How bash reads a script: the function it prints (`declare -f`) with the script as its body. The script is defined,
 * never run; it must parse on its own first (bash -n), so no part of it can end up outside the function.
 */
function bashReading(script: string): string {
  const syntax = bashSyntaxError(script);
  if (syntax !== undefined) throw new BuildSpecCompactionError(`bash -n refuses the buildspec command: ${syntax}`);
  // `:` first: a function body needs a command, and a script may have none (only comments).
  const program = 'eval "sif_script() {"$\'\\n:\\n\'"$SIF_SCRIPT"$\'\\n\'"}" && declare -f sif_script';
  const result = spawnSync('bash', [...BASH, '-c', program], { encoding: 'utf8', env: { ...BASH_ENV, SIF_SCRIPT: script }, maxBuffer: 16 * 1024 * 1024 });
  if (result.error || result.status !== 0) throw new BuildSpecCompactionError(`bash could not read a buildspec command: ${result.error?.message ?? result.stderr.trim()}`);
  return result.stdout;
}

/** The first line where bash reads the two scripts differently, or undefined when it reads them alike. */
export function readingDifference(a: string, b: string): string | undefined {
  const [left, right] = [bashReading(a).split('\n'), bashReading(b).split('\n')];
  const line = left.findIndex((text, index) => text !== right[index]);
  if (line === -1 && left.length === right.length) return undefined;
  const at = line === -1 ? left.length : line;
  return `line ${at + 1} of declare -f: ${JSON.stringify(left[at] ?? '')} vs ${JSON.stringify(right[at] ?? '')}`;
}

/** The buildspec's length as CodeBuild's limit counts it, at most: UTF-8 bytes are never fewer than characters. */
export function inlineBuildSpecLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Throws when CodeBuild would refuse `text` as an inline buildspec; `what` names it in the message. */
export function checkInlineBuildSpecLength(text: string, what: string): void {
  const length = inlineBuildSpecLength(text);
  if (length > INLINE_BUILDSPEC_MAX_LENGTH) {
    throw new BuildSpecCompactionError(
      `${what} is ${length} characters; CodeBuild refuses an inline buildspec over ${INLINE_BUILDSPEC_MAX_LENGTH} ("Max buildspec length is 25600"). ` +
        'Shorten the commands of src/mirror/buildspec.yaml (its comments do not count: they are removed)',
    );
  }
}
