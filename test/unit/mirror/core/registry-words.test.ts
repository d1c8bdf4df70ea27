import { describe, expect, it } from 'vitest';
import { registryWords } from '../../../../src/mirror/core/registry-words.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const SOURCE = 'quay.io/team/agent:ImageTagAlreadyExists';
const TARGET = `${ECR}/sysdig-image-fix/quay.io/team/agent:ImageTagAlreadyExists-x86_64`;

describe('Function: registryWords', () => {
  it('replaces the tags, the hosts and every path or reference, keeping the quotes and punctuation around them', () => {
    const line =
      `Error uploading manifest ImageTagAlreadyExists-x86_64 to ${ECR}/sysdig-image-fix/quay.io/team/agent: ` +
      "denied: the tag 'ImageTagAlreadyExists' of quay.io, (agent:ImageTagAlreadyExists) at sha256:abc@x.";
    expect(registryWords(line, [SOURCE, TARGET])).toBe("Error uploading manifest <image> to <image>: denied: the tag '<image>' of <image>, (<image>) at <image>.");
  });

  it("keeps every other word, also one that merely contains a name, and a registry's words", () => {
    const words = "tag invalid: The image tag 'x' already exists in the 'r' repository and cannot be overwritten; ImageTagAlreadyExistsException";
    expect(registryWords(words, ['quay.io/team/agent:be', `${ECR}/r:be-arm64`])).toBe(
      "tag invalid: The image tag 'x' already exists in the 'r' repository and cannot <image> overwritten; ImageTagAlreadyExistsException",
    );
    expect(registryWords('beta quay.io.example 1.0-rc', ['quay.io/team/agent:1.0', `${ECR}/r:1.0-arm64`])).toBe('beta quay.io.example 1.0-rc');
  });

  it('keeps the lines, joins the words of each with one space, and names nothing for an image without a tag', () => {
    expect(registryWords('\tone  two\t\tthree\n\nfour ', ['quay.io/team/agent@sha256:1', ''])).toBe('one two three\n\nfour');
    expect(registryWords('agent sha256 quay.io', ['quay.io/team/agent@sha256:1'])).toBe('agent sha256 <image>');
  });
});
