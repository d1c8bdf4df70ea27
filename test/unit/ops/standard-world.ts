// The account most ops tests start from: two mirrored repositories (one with a whole index beside its one-platform
// child, a lifecycle policy on untagged images), one hand-made repository and one outside the prefix; a function and
// a stack on the one-platform child, a task definition on nginx by tag and by digest.
import { digest, emptyWorld, image, OCI_INDEX, PREFIX, REGISTRY, stack, uri, type World } from './world.js';

const APP = `${PREFIX}/quay.io/e2e/app`;
const NGINX = `${PREFIX}/docker.io/library/nginx`;
const HAND_MADE = `${PREFIX}/hand-made`;
const OUTSIDE = 'team/app';

export function standardWorld(): World {
  const world = emptyWorld();
  world.repositories = [
    {
      name: APP,
      sourceImage: 'quay.io/e2e/app:1.0',
      images: [
        image('old', { tags: ['0.9'], ageDays: 90 }),
        image('child-amd64', { tags: ['1.0'], ageDays: 40 }),
        image('index', { tags: ['1.0-all'], ageDays: 40, mediaType: OCI_INDEX, sizeBytes: 500 }),
        image('child-arm64', { ageDays: 40 }),
        image('attestation', { ageDays: 40 }),
        image('new', { tags: ['1.1'], ageDays: 1 }),
      ],
      children: { [digest('index')]: [digest('child-amd64'), digest('child-arm64'), digest('attestation')] },
      lifecyclePolicy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'untagged',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
            action: { type: 'expire' },
          },
        ],
      }),
    },
    {
      name: NGINX,
      images: [image('n127', { tags: ['1.27'] }), image('n126', { tags: ['1.26'] }), image('n125', { tags: ['1.25'] })],
    },
    { name: HAND_MADE, managed: false, images: [image('hand')] },
    { name: OUTSIDE, images: [image('outside')] },
  ];
  world.functions = [
    { name: 'api', imageUri: uri(APP, digest('child-amd64')), resolvedImageUri: `${REGISTRY}/${APP}@sha256@sha256:${'bd'.repeat(32)}` },
    { name: 'elsewhere', imageUri: uri(OUTSIDE, digest('outside')) },
  ];
  world.taskDefinitions = [
    {
      name: 'web:7',
      containers: [
        { name: 'proxy', image: uri(NGINX, '1.27') },
        { name: 'old', image: uri(NGINX, digest('n126')) },
      ],
    },
  ];
  world.stacks = [stack('app', [{ logicalId: 'ImageMirror1a2b3c4d', physicalId: uri(APP, digest('child-amd64')), status: 'UPDATE_COMPLETE' }])];
  return world;
}
