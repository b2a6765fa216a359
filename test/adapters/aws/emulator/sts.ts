/**
 * A wire-level STS emulator: the AWS query protocol (`application/x-www-form-urlencoded`, `Action=…`) answered
 * in XML, for AssumeRole and GetCallerIdentity. It enforces the STS rules the adapter must respect (900 s
 * minimum, the role's maximum, session name alphabet, 2048-character inline policy) and records the last
 * AssumeRole parameters so tests can assert them as they crossed the wire.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkSigV4, isProblem, type SignedBy } from './sigv4.ts';
import { AwsServiceEmulator, type Reply } from './http_server.ts';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export type StsFault = 'access_denied' | 'throttled' | 'internal' | 'hang';

/** AssumeRole as received, decoded from the form body. */
export interface AssumeRoleCall {
  RoleArn: string | undefined;
  RoleSessionName: string | undefined;
  DurationSeconds: number | undefined;
  SourceIdentity: string | undefined;
  ExternalId: string | undefined;
  Policy: string | undefined;
  Tags: { Key: string; Value: string }[];
  raw: Record<string, string>;
}

export class StsEmulator extends AwsServiceEmulator {
  /** The roles' MaxSessionDuration. */
  maxSessionSeconds = 3600;
  fault: StsFault | null = null;
  readonly deniedRoles = new Set<string>();
  readonly signedBy: SignedBy[] = [];
  readonly assumeRoleCalls: AssumeRoleCall[] = [];
  /** Fixed clock (epoch ms) for Expiration; defaults to the real one. */
  now: () => number = Date.now;

  get lastAssumeRole(): AssumeRoleCall | undefined {
    return this.assumeRoleCalls.at(-1);
  }

  protected handle(req: IncomingMessage, body: string): Reply | undefined {
    const signed = checkSigV4(req.headers, 'sts', this.region);
    if (isProblem(signed)) return error(signed.status, signed.code, signed.message);
    this.signedBy.push(signed);
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return error(400, 'InvalidAction', 'expected a form-encoded POST');
    }
    const form = Object.fromEntries(new URLSearchParams(body));
    if (form.Version !== '2011-06-15') return error(400, 'InvalidAction', 'unsupported Version');
    if (form.Action === 'GetCallerIdentity') return this.getCallerIdentity(signed);
    if (form.Action !== 'AssumeRole') return error(400, 'InvalidAction', `Could not find operation ${form.Action}`);
    const call = decodeAssumeRole(form);
    this.assumeRoleCalls.push(call);
    if (this.fault !== null) return faultReply(this.fault);
    return this.assumeRole(call);
  }

  private getCallerIdentity(signed: SignedBy): Reply {
    return xml(
      'GetCallerIdentity',
      `<Arn>arn:aws:sts::123456789012:assumed-role/crefgate/${signed.accessKeyId}</Arn>` +
        `<UserId>AROAEXAMPLE:${signed.accessKeyId}</UserId><Account>123456789012</Account>`,
    );
  }

  private assumeRole(call: AssumeRoleCall): Reply {
    const duration = call.DurationSeconds ?? 3600;
    if (duration < 900) return error(400, 'ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint`);
    if (duration > this.maxSessionSeconds) {
      return error(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }
    if (call.RoleSessionName === undefined || !/^[\w+=,.@-]{2,64}$/.test(call.RoleSessionName)) {
      return error(400, 'ValidationError', "Value at 'roleSessionName' failed to satisfy constraint");
    }
    if (call.Policy !== undefined && call.Policy.length > 2048) {
      return error(400, 'ValidationError', "Value at 'policy' failed to satisfy constraint: length must be <= 2048");
    }
    if (call.RoleArn === undefined || this.deniedRoles.has(call.RoleArn)) {
      return error(403, 'AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${call.RoleArn}`);
    }
    const roleName = call.RoleArn.split('/').at(-1);
    const expiration = new Date(this.now() + duration * 1000).toISOString();
    const sourceIdentity = call.SourceIdentity === undefined ? '' : `<SourceIdentity>${escapeXml(call.SourceIdentity)}</SourceIdentity>`;
    return xml(
      'AssumeRole',
      `<AssumedRoleUser><AssumedRoleId>AROAEXAMPLEID:${escapeXml(call.RoleSessionName)}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::123456789012:assumed-role/${escapeXml(roleName ?? '')}/${escapeXml(call.RoleSessionName)}</Arn></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>ASIA${randomBytes(8).toString('hex').toUpperCase()}</AccessKeyId>` +
        `<SecretAccessKey>${randomBytes(30).toString('base64')}</SecretAccessKey>` +
        `<SessionToken>${randomBytes(96).toString('base64')}</SessionToken>` +
        `<Expiration>${expiration}</Expiration></Credentials>` +
        `<PackedPolicySize>${call.Tags.length * 3}</PackedPolicySize>${sourceIdentity}`,
    );
  }
}

function decodeAssumeRole(form: Record<string, string>): AssumeRoleCall {
  const tags: { Key: string; Value: string }[] = [];
  for (let i = 1; form[`Tags.member.${i}.Key`] !== undefined; i++) {
    tags.push({ Key: form[`Tags.member.${i}.Key`]!, Value: form[`Tags.member.${i}.Value`] ?? '' });
  }
  return {
    RoleArn: form.RoleArn,
    RoleSessionName: form.RoleSessionName,
    DurationSeconds: form.DurationSeconds === undefined ? undefined : Number(form.DurationSeconds),
    SourceIdentity: form.SourceIdentity,
    ExternalId: form.ExternalId,
    Policy: form.Policy,
    Tags: tags,
    raw: form,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xml(action: string, result: string): Reply {
  const requestId = randomUUID();
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function error(status: number, code: string, message: string): Reply {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="${NS}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function faultReply(fault: StsFault): Reply | undefined {
  switch (fault) {
    case 'access_denied':
      return error(403, 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole');
    case 'throttled':
      return error(400, 'Throttling', 'Rate exceeded');
    case 'internal':
      return error(500, 'InternalFailure', 'An internal error occurred.');
    case 'hang':
      return undefined;
  }
}
