// The commands that read AWS, by name: all main.ts needs to know to hand them to their own bundle (aws-commands.ts).
export const AWS_COMMANDS = ['mirrors', 'prune'] as const;
export type AwsCommandName = (typeof AWS_COMMANDS)[number];

export function isAwsCommand(name: string | undefined): name is AwsCommandName {
  return (AWS_COMMANDS as readonly (string | undefined)[]).includes(name);
}
