// The CloudFormation response PUT: the one HTTP call of the mirror function that is not an AWS SDK call.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ResponsePorts } from './types.js';

/**
 * One HTTP(S) PUT with an empty Content-Type, as the presigned S3 URL of CloudFormation expects.
 * node:http rather than fetch: fetch would add its own Content-Type for a string body.
 */
export function createHttpPut(): ResponsePorts['putResponse'] {
  return (url, body, timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new Error('the ResponseURL is not a URL'));
        return;
      }
      const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
      if (send === undefined) {
        reject(new Error(`the ResponseURL scheme ${JSON.stringify(target.protocol)} is not http(s)`));
        return;
      }
      const payload = Buffer.from(body, 'utf8');
      const req = send(target, {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': payload.length },
        timeout: timeoutMs,
      });
      // `timeout` only catches an idle socket; the whole exchange (a server that trickles) is bounded too.
      const fail = (): void => {
        req.destroy(new Error(`no answer from the response endpoint within ${timeoutMs} ms`));
      };
      const whole = setTimeout(fail, Math.max(0, timeoutMs));
      whole.unref?.();
      req.on('close', () => clearTimeout(whole));
      req.on('timeout', fail);
      // Errors name only what failed, never the URL (it is a bearer credential for this resource).
      req.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        reject(new Error(`the response PUT failed: ${code ?? error.message}`));
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`the response endpoint answered HTTP ${status}`));
        });
        res.on('error', (error) => reject(new Error(`the response PUT failed: ${error.message}`)));
      });
      req.end(payload);
    });
}
