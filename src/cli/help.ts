// `sysdig-image-fix --help` (every command, flag, exit code, with examples) and `help COMMAND` (one command's).
import { MACRO_NAME } from '../contract.js';
import { commandSpec, commandSpecs } from './commands.js';
import type { CommandName } from './io.js';

export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';
/** The macro stack exports the mirror function ARN under `<MacroName>-MirrorFunctionArn`. */
export const MIRROR_FUNCTION_ARN_EXPORT = `${MACRO_NAME}-MirrorFunctionArn`;

interface OptionHelp {
  readonly flag: string;
  readonly lines: readonly string[];
}

const OPTION_HELP: readonly OptionHelp[] = [
  { flag: '--region R', lines: ['Region the stack is deployed in. Default: $AWS_REGION, then', `$AWS_DEFAULT_REGION, then ${DEFAULT_REGION}.`] },
  { flag: '--account ID', lines: [`12-digit account id of the stack. Default: ${DEFAULT_ACCOUNT}.`] },
  {
    flag: '--parameter K=V',
    lines: [
      'Stack parameter value; repeat for several. Parameters not given use',
      'their Default; a parameter with neither stays unknown, so its images',
      'are mirrored and checked at deploy time.',
    ],
  },
  {
    flag: '--parameter-overrides K=V...',
    lines: [
      'The same, spelled as for aws cloudformation deploy and sam deploy',
      '(K=V, or ParameterKey=K,ParameterValue=V; one word may hold several,',
      'separated by spaces). Takes every following word up to the next',
      'option or --, so give FILE before it. A later value for K wins.',
    ],
  },
  {
    flag: '--mirror-function-arn ARN',
    lines: [
      'ServiceToken of the injected resources. Default:',
      `{"Fn::ImportValue": "${MIRROR_FUNCTION_ARN_EXPORT}"}, the export`,
      'of the macro stack, so the output deploys as a plain template.',
    ],
  },
  { flag: '--format F', lines: ["transform: yaml or json (default: the input's format).", 'scan: table (default) or json.'] },
  {
    flag: '-o, --output FILE',
    lines: ['Write the output to FILE instead of stdout: whole or not at all (a', 'failed run leaves FILE as it was). FILE may not be the input template.'],
  },
  { flag: '-q, --quiet', lines: ['No note: lines (warnings and errors are still printed).'] },
  { flag: '-h, --help', lines: ['Show this help (help COMMAND: one command).'] },
  { flag: '--version', lines: ['Show the version.'] },
];

function optionLines(): string {
  const width = Math.max(...OPTION_HELP.map((option) => option.flag.length)) + 2;
  return OPTION_HELP.map(({ flag, lines }) => lines.map((line, index) => `  ${(index === 0 ? flag : '').padEnd(width)}${line}`).join('\n')).join('\n');
}

const EXIT_CODES = `Exit codes:
  0  success
  1  the transform failed; every problem is on stderr, naming its resource
  2  usage error: bad flags, unreadable file, template that does not parse, unwritable -o FILE`;

const INPUT = `FILE is a CloudFormation template in JSON or YAML (short tags like !Ref and !Sub understood);
"-" reads it from standard input. YAML is read with the YAML 1.1 rules CloudFormation uses (0755 is
a number, 084828588479 a string, yes/no booleans); YAML output is your text with only the macro's
changes in it (comments, short tags, quoting and key order kept).`;

const VERDICTS = `Verdicts:
  mirror        resolved to an image Lambda cannot pull here: mirrored
  deploy-time   not resolvable offline: mirrored, the mirror function decides at deploy time
  keep          already private ECR in this region: untouched
  skip          Metadata.${MACRO_NAME}.Skip is true on the resource
  failed        a problem (listed on stderr) stops the transform`;

const EXAMPLES: Readonly<Record<CommandName, readonly string[]>> = {
  transform: [
    'sysdig-image-fix transform instrumentation.yaml --region ap-northeast-1 -o deployable.yaml',
    'cat template.yaml | sysdig-image-fix transform - --format json',
    'sysdig-image-fix transform sam.yaml --mirror-function-arn arn:aws:lambda:eu-west-1:111122223333:function:mirror',
  ],
  scan: [
    'sysdig-image-fix scan template.json --parameter PatcherImage=quay.io/sysdig/serverless-patcher:5.0.1',
    'sysdig-image-fix scan *.yaml --region eu-west-1 --parameter-overrides Env=prod Tier=web',
  ],
};

/** `sysdig-image-fix --help`. */
export function helpText(): string {
  const usage = commandSpecs().map((command) => `  sysdig-image-fix ${command.usage.padEnd(32)}${command.summary}`);
  return `sysdig-image-fix: apply the ${MACRO_NAME} CloudFormation macro offline

Lambda runs container images only from private Amazon ECR in its own region. This tool shows and
applies what the ${MACRO_NAME} macro does to a template: each Lambda image outside that registry
(Quay, Docker Hub, ECR in another region, ...) gets a Custom::ImageMirror resource that copies it
into private ECR at deploy time, and the function reads the mirrored image from it.
No AWS credentials are needed; nothing is deployed.

Usage:
${usage.join('\n')}
  sysdig-image-fix ${'help [COMMAND]'.padEnd(32)}this help, or one command's
  sysdig-image-fix --version

${INPUT}

Options:
${optionLines()}

What happens, like CloudFormation: "${MACRO_NAME}" is removed from the template's Transform
section (other transforms stay, in order); a template without it is transformed anyway.

${VERDICTS}

A site written as an intrinsic (!Ref Image, !Sub ...) keeps it as the mirror's SourceImage, and the
mirror names its repository after the value CloudFormation passes: the output stays right when
deployed with other parameter values.

Opt-in, in the template's Metadata.${MACRO_NAME}: MirrorParameters: [Name, ...] mirrors those
String parameters' images as published (architecture "all", site Parameters.<Name>), and every use
of them reads the mirror; Ecs: true makes the images of ECS task definitions sites
(<TaskDefinition>.ContainerDefinitions[<n>].Image). Warnings (e.g. an execution role without ECR
pull permission) go to stderr, and notes say what was seen but not acted on (e.g. a task definition
without Ecs: true) and what the CLI assumed.

Output: the template (transform) or the table (scan) on stdout, or in -o FILE; a summary on stderr,
one line per image site (resource, verdict, image, architecture, mirror resource), the columns of
the scan table.

${EXIT_CODES}

Examples:
${[...EXAMPLES.transform, ...EXAMPLES.scan].map((line) => `  ${line}`).join('\n')}
`;
}

/** `sysdig-image-fix help COMMAND`. */
export function commandHelpText(name: CommandName): string {
  const spec = commandSpec(name);
  const what =
    name === 'transform'
      ? 'Prints the template as the macro returns it: this macro removed from Transform, each image site\nread from its Custom::ImageMirror. The summary, warnings and notes go to stderr.'
      : 'Prints the image sites of each template and what the macro does with them, without changing\nanything; with several FILEs, a FILE column comes first (JSON: one {file, sites} per template).';
  return `Usage: sysdig-image-fix ${spec.usage}

${what}

${INPUT}

Options:
${optionLines()}

${VERDICTS}

${EXIT_CODES}

Examples:
${EXAMPLES[name].map((line) => `  ${line}`).join('\n')}
`;
}
