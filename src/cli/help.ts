// `sysdig-image-fix --help`: every command, flag, exit code, with examples.
import { MACRO_NAME } from '../contract.js';

export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';
/** The macro stack exports the mirror function ARN under `<MacroName>-MirrorFunctionArn`. */
export const MIRROR_FUNCTION_ARN_EXPORT = `${MACRO_NAME}-MirrorFunctionArn`;

export const HELP_TEXT = `sysdig-image-fix: apply the ${MACRO_NAME} CloudFormation macro offline

Lambda runs container images only from private Amazon ECR in its own region. This tool shows and
applies what the ${MACRO_NAME} macro does to a template: each Lambda image outside that registry
(Quay, Docker Hub, ECR in another region, ...) gets a Custom::ImageMirror resource that copies it
into private ECR at deploy time, and the function reads the mirrored image from it.
No AWS credentials are needed; nothing is deployed.

Usage:
  sysdig-image-fix transform FILE|- [options]   print the transformed template on stdout
  sysdig-image-fix scan FILE|- [options]        print a table: resource, image, verdict
  sysdig-image-fix mirrors --region R [...]     what is mirrored, who uses it (reads AWS; mirrors --help)
  sysdig-image-fix prune --region R [...]       delete unused mirrored images (dry run unless --yes; prune --help)
  sysdig-image-fix --help | --version

FILE is a CloudFormation template in JSON or YAML (short tags like !Ref and !Sub understood);
"-" reads it from standard input. YAML is read with the YAML 1.1 rules CloudFormation uses (0755 is
a number, 084828588479 a string, yes/no booleans); YAML output is your text with only the macro's
changes in it (comments, short tags and key order kept).

Options:
  --region R                  Region the stack is deployed in. Default: $AWS_REGION, then
                              $AWS_DEFAULT_REGION, then ${DEFAULT_REGION}.
  --account ID                12-digit account id of the stack. Default: ${DEFAULT_ACCOUNT}.
  --parameter K=V             Stack parameter value; repeat for several. Parameters not given use
                              their Default; a parameter with neither stays unknown, so its images
                              are mirrored and checked at deploy time.
  --mirror-function-arn ARN   ServiceToken of the injected resources. Default:
                              {"Fn::ImportValue": "${MIRROR_FUNCTION_ARN_EXPORT}"}, the export
                              of the macro stack, so the output deploys as a plain template.
  --format yaml|json          Output format (transform) or table/JSON (scan). Default: the input's
                              format for transform, a table for scan.
  -h, --help                  Show this help.
  --version                   Show the version.

What happens, like CloudFormation: "${MACRO_NAME}" is removed from the template's Transform
section (other transforms stay, in order); a template without it is transformed anyway.

Verdicts:
  mirror        resolved to an image Lambda cannot pull here: mirrored
  deploy-time   not resolvable offline: mirrored, the mirror function decides at deploy time
  keep          already private ECR in this region: untouched
  skip          Metadata.${MACRO_NAME}.Skip is true on the resource
  failed        a problem (listed on stderr) stops the transform

A site written as an intrinsic (!Ref Image, !Sub ...) keeps it as the mirror's SourceImage, and the
mirror names its repository after the value CloudFormation passes: the output stays right when
deployed with other parameter values.

Opt-in, in the template's Metadata.${MACRO_NAME}: MirrorParameters: [Name, ...] mirrors those
String parameters' images as published (architecture "all", site Parameters.<Name>), and every use
of them reads the mirror; Ecs: true makes the images of ECS task definitions sites
(<TaskDefinition>.ContainerDefinitions[<n>].Image). Warnings (e.g. an execution role without ECR
pull permission) go to stderr.

Output: the template on stdout (transform) or the table (scan); a summary on stderr, one line per
image site (resource, verdict, image, architecture, mirror resource).

Exit codes:
  0  success
  1  the transform failed; every problem is on stderr, naming its resource
  2  usage error: bad flags, unreadable file, template that does not parse

Examples:
  sysdig-image-fix transform instrumentation.yaml --region ap-northeast-1 > deployable.yaml
  sysdig-image-fix scan template.json --parameter PatcherImage=quay.io/sysdig/serverless-patcher:5.0.1
  cat template.yaml | sysdig-image-fix transform - --format json
  sysdig-image-fix transform sam.yaml --mirror-function-arn arn:aws:lambda:eu-west-1:111122223333:function:mirror
`;
