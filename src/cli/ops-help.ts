// `sysdig-image-fix mirrors --help` and `prune --help`: the commands that read AWS, their flags and exit codes.
import { MANAGED_BY_TAG } from '../contract.js';
import { DEFAULT_OLDER_THAN } from './ops-args.js';

const COMMON_FLAGS = `  --region R        Region to read. Default: $AWS_REGION, then $AWS_DEFAULT_REGION.
  --profile P       Named profile of your AWS config. Default: the SDK's credential chain
                    (environment, AWS_PROFILE, SSO, web identity, container or instance role).
  --prefix P        Repository prefix. Default: the RepositoryPrefix of the region's macro stack(s),
                    else sysdig-image-fix.
  --format F        table (default) or json.
  -h, --help        Show this help.`;

const EXIT_CODES = `Exit codes:
  0  done, and everything was read
  1  something could not be read (listed on stderr) or could not be deleted
  2  usage error`;

export const MIRRORS_HELP = `sysdig-image-fix mirrors: what is mirrored, and who uses it (reads only)

Usage:
  sysdig-image-fix mirrors --region R [--profile P] [--prefix P] [--format table|json]

Lists every ECR repository under the prefix with each image's digest, tags, size, push time and
status, and who uses it: Lambda functions running it, ACTIVE ECS task definitions naming it (by
digest or tag), and stacks whose Custom::ImageMirror resources answered it. An index and the
manifests it lists count as one image. Lifecycle rules that could expire or archive a used image
are named. A list that cannot be read is reported, and images are then "not known", never unused.
The IAM actions it needs are in docs/operate.md.

Options:
${COMMON_FLAGS}

${EXIT_CODES}
`;

export const PRUNE_HELP = `sysdig-image-fix prune: delete mirrored images that nothing uses (a dry run unless --yes)

Usage:
  sysdig-image-fix prune --region R [--older-than ${DEFAULT_OLDER_THAN}] [--keep-last N] [--yes] [--profile P] [--prefix P]

Deletes images used by nothing and pushed before the threshold, only in repositories under the
prefix that the mirror function created (tag ${MANAGED_BY_TAG.key}=${MANAGED_BY_TAG.value}). Nothing is deleted when any
list of users could not be read completely, or while a stack with mirrors is being deployed;
a repository whose users are not fully known is left alone. Right before deleting from a
repository, every user list is read again. Without --yes it prints what it would delete and the
bytes freed.

Options:
  --older-than AGE  Only images pushed at least this long ago: days or hours (30d, 12h).
                    Default: ${DEFAULT_OLDER_THAN}.
  --keep-last N     Keep the newest N images of each repository, used or not. Default: 0.
  --yes             Delete. Without it, nothing is deleted.
${COMMON_FLAGS}

${EXIT_CODES}
`;
