// The bash compactor's scanner on the constructs where `#`, blanks and line breaks are data, not layout. What the
// compact text means is proved by bash itself in test/integration/buildspec-compact.test.ts; here the exact text.
import { describe, expect, it } from 'vitest';
import { BashCompactionError, compactBash } from '../../../scripts/bash-compact.js';

const compact = (script: string, scriptHeredocs: string[] = []): string => compactBash(script, { scriptHeredocs }).text;

describe('Function: compactBash', () => {
  it('drops comment lines, trailing comments, blank lines and the indentation of command lines', () => {
    const script = ['# header', 'set -eu', '', 'f() {  # the function', '  local a=1', '', '  # inside', '  echo "$a"', '}', '   ', ''].join('\n');
    expect(compact(script)).toBe('set -eu\nf() {\nlocal a=1\necho "$a"\n}\n');
  });

  it.each([
    ['a # in single quotes', "echo 'a # b'\n"],
    ['a # in double quotes', 'echo "a # $b"\n'],
    ["a # in $'...'", "echo $'a\\' # b'\n"],
    ['the length of a variable', 'echo "${#value}" ${#list[@]}\n'],
    ['a prefix removal', 'echo "${path#*/}" ${path##*/}\n'],
    ['the argument count', 'echo $# "$#"\n'],
    ['a base in arithmetic', 'echo $(( 16#ff + 2#10 ))\n'],
    ['a # inside a word', 'echo a#b c=#d\n'],
    ['a URL fragment', 'curl https://example.com/a#frag\n'],
    ['a # after an escape', 'echo \\# not a comment\n'],
    ['a default value with a #', 'echo "${x:-#}" ${y:-"#"}\n'],
    ['braces in a default value (the first } closes it)', 'echo ${x:-{a\\}} ${y:-{b}}\n'],
    ['a # in backticks', 'echo `echo "#"`\n'],
    ['quotes in backticks in quotes', 'echo "a `echo " # "` b"\n'],
  ])('keeps %s', (_, script) => {
    expect(compact(script)).toBe(script);
  });

  it('keeps every line of a quoted string that spans lines, indentation and # included', () => {
    const script = 'JQ=\'def a: 1;\n  # not a comment\n    def b: 2;\'\n  echo "one\n  # two\n"\n';
    expect(compact(script)).toBe('JQ=\'def a: 1;\n  # not a comment\n    def b: 2;\'\necho "one\n  # two\n"\n');
  });

  it('removes comments inside $( ), also within double quotes, where bash reads them as comments', () => {
    expect(compact('x="$(  # why\n  echo a  # what\n)"\n')).toBe('x="$(\necho a\n)"\n');
  });

  it('keeps a here-document body as it is (data), indentation, blank lines and # included', () => {
    const script = "  cat <<EOF  # note\n  # kept $x\n\n  EOF\nEOF\n  cat <<-'END'\n\t# kept\n\tEND\necho\n";
    expect(compact(script)).toBe("cat <<EOF\n  # kept $x\n\n  EOF\nEOF\ncat <<-'END'\n\t# kept\n\tEND\necho\n");
  });

  it('compacts the body of a quoted here-document named as a script, and only that one', () => {
    const script = "cat > steps <<'STEPS'\n# comment\nf() {\n  echo a  # b\n}\nSTEPS\ncat <<'DATA'\n  # data\nDATA\n";
    const result = compactBash(script, { scriptHeredocs: ['STEPS'] });
    expect(result.text).toBe("cat > steps <<'STEPS'\nf() {\necho a\n}\nSTEPS\ncat <<'DATA'\n  # data\nDATA\n");
    expect(result.withOriginalBodies).toBe(script);
    expect(result.bodies).toEqual([{ original: '# comment\nf() {\n  echo a  # b\n}\n', compact: expect.objectContaining({ text: 'f() {\necho a\n}\n' }) }]);
  });

  it('treats an unquoted here-document as data even when its delimiter is named as a script (it expands $)', () => {
    expect(compact('cat <<STEPS\n# $x\nSTEPS\n', ['STEPS'])).toBe('cat <<STEPS\n# $x\nSTEPS\n');
  });

  it('reads a here-string as a word, not as a here-document', () => {
    expect(compact('  read -ra parts <<< "$text"  # split\n# next\necho\n')).toBe('read -ra parts <<< "$text"\necho\n');
  });

  it('keeps a continued line as it is: its indentation and a blank or comment line after it end the command', () => {
    expect(compact('echo a \\\n    b  # c\n')).toBe('echo a \\\n    b\n');
    expect(compact('echo a \\\n  # c\necho d\n')).toBe('echo a \\\n\necho d\n');
    expect(compact('echo a\\\n  b\n')).toBe('echo a\\\n  b\n');
  });

  it('follows case patterns, subshells, arrays and arithmetic commands', () => {
    const script = 'case "$x" in\n  a) echo "#" ;;  # a\n  (b|c) y=(1 2)  # b\nesac\n(( n += 1 ))  # count\n( cd / )  # sub\n';
    expect(compact(script)).toBe('case "$x" in\na) echo "#" ;;\n(b|c) y=(1 2)\nesac\n(( n += 1 ))\n( cd / )\n');
  });

  it('is idempotent', () => {
    const script = "# a\nf() {\n  echo '#' \"${#x}\"  # b\n  cat <<'E'\n  # c\nE\n}\n";
    expect(compact(compact(script))).toBe(compact(script));
  });

  it('keeps a script without a final line break without one', () => {
    expect(compact('echo a  # b')).toBe('echo a');
    expect(compact('echo a\n# b')).toBe('echo a\n');
  });

  it.each([
    ['an unclosed single quote', "echo 'a\n", "a '...' string"],
    ['an unclosed double quote', 'echo "a\n', 'a "..." string'],
    ['an unclosed $(', 'echo "$(echo a"\n', 'a "..." string'],
    ['an unclosed ${', 'echo ${a\n', 'a ${...} expansion'],
    ['an unclosed here-document', "cat <<'EOF'\nbody\n", 'the here-document EOF is not closed'],
    ['a here-document without a body', 'cat <<EOF', 'the here-document EOF has no body'],
    ['a delimiter it cannot read', 'cat <<E"O"F\nx\nEOF\n', 'cannot read the here-document delimiter'],
  ])('refuses %s', (_, script, message) => {
    expect(() => compact(script)).toThrow(BashCompactionError);
    expect(() => compact(script)).toThrow(message);
  });
});
