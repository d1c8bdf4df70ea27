// The Secrets Manager adapter: the text of the registry credentials secret.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CallContext } from '../core/budget.js';
import { sendOptions } from './sdk.js';

/** The SecretString of `secretArn` (undefined when the secret holds binary data only). */
export async function readSecretString(client: SecretsManagerClient, secretArn: string, call: CallContext | undefined): Promise<string | undefined> {
  return (await client.send(new GetSecretValueCommand({ SecretId: secretArn }), call ? sendOptions(call) : {})).SecretString;
}
