// `npm run deploy` reads its command line as the CLI does: the same wording for an unknown option (with the option
// meant) and for a region name that is not one (with the name meant).
import { describe, expect, it } from 'vitest';
import { DeployError, parseDeployArgs, USAGE } from '../../../scripts/deploy.js';
import { runCli } from '../cli/run-cli.js';

function refusal(argv: string[]): string {
  try {
    parseDeployArgs(argv);
  } catch (error) {
    if (error instanceof DeployError) return error.message;
    throw error;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('Function: parseDeployArgs', () => {
  it.each([
    [['--regoin', 'eu-west-1'], 'unknown option --regoin; did you mean --region?'],
    [['--guidde'], 'unknown option --guidde; did you mean --guided?'],
    [['--colour'], 'unknown option --colour; the options are --region, --guided, --help'],
  ])('%j: the CLI wording, then the usage', (argv, line) => {
    expect(refusal(argv)).toBe(`${line}\n${USAGE}`);
  });

  it('says what the CLI says of the same mistake', async () => {
    const cli = await runCli(['transform', '-', '--regoin', 'eu-west-1']);
    expect(refusal(['--regoin', 'eu-west-1']).split('\n')[0]).toBe(cli.stderr.split('\n')[0]!.replace(/^error: /, ''));
  });

  it.each([
    ['EU-WEST-1', '--region "EU-WEST-1" is not an AWS region name; did you mean eu-west-1?'],
    ['Frankfurt', '--region "Frankfurt" is not an AWS region name (e.g. us-east-1)'],
  ])('a region name that is not one: %s', async (region, line) => {
    expect(refusal(['--region', region])).toBe(line);
    const cli = await runCli(['scan', '-', '--region', region]);
    expect(cli.stderr.split('\n')[0]).toBe(`error: ${line}`);
  });

  it('takes a region, --guided and what follows -- for sam deploy', () => {
    expect(parseDeployArgs(['--region', 'eu-west-1', '--guided', '--', '--parameter-overrides', 'A=1'])).toEqual({
      region: 'eu-west-1',
      guided: true,
      samDeployArgs: ['--parameter-overrides', 'A=1'],
    });
  });
});
