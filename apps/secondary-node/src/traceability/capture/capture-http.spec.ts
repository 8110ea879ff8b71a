import { DomainError } from '../../errors/domain-errors';
import { bodyBytes, discoveryHeaders, errorBehaviourOf, isCapturePath, negotiateReplyType, requireCaptureContentType, requireSupportedVersions } from './capture-http';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
}

describe('capture HTTP rules', () => {
  it('accepts JSON and JSON-LD bodies (with a UTF-8 charset or none) and refuses other media types with 415', () => {
    expect(requireCaptureContentType('application/json')).toBe('application/json');
    expect(requireCaptureContentType('application/ld+json; charset=utf-8')).toBe('application/ld+json');
    expect(requireCaptureContentType('Application/LD+JSON;charset="UTF-8"')).toBe('application/ld+json');
    for (const type of [undefined, '', 'text/plain', 'application/xml', 'application/problem+json', 'application/json; charset=latin1', 'multipart/form-data']) {
      expect({ type, code: codeOf(() => requireCaptureContentType(type)) }).toEqual({ type, code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  it('negotiates the reply type: JSON by default, JSON-LD when preferred, 406 when neither is acceptable', () => {
    expect(negotiateReplyType(undefined)).toBe('application/json');
    expect(negotiateReplyType('*/*')).toBe('application/json');
    expect(negotiateReplyType('application/*')).toBe('application/json');
    expect(negotiateReplyType('application/ld+json')).toBe('application/ld+json');
    expect(negotiateReplyType('application/json;q=0.5, application/ld+json')).toBe('application/ld+json');
    expect(negotiateReplyType('application/ld+json;q=0.2, application/json;q=0.9')).toBe('application/json');
    expect(negotiateReplyType('text/html, application/json;q=0.1')).toBe('application/json');
    expect(negotiateReplyType('*/*;q=0.1, application/ld+json;q=0.5')).toBe('application/ld+json');
    for (const accept of ['text/html', 'application/xml', 'application/json;q=0, application/ld+json;q=0', 'image/*', '*/*;q=0']) {
      expect({ accept, code: codeOf(() => negotiateReplyType(accept)) }).toEqual({ accept, code: 'NOT_ACCEPTABLE' });
    }
  });

  it('reads GS1-Capture-Error-Behaviour: rollback by default, proceed, anything else a 400', () => {
    expect(errorBehaviourOf(undefined)).toBe('rollback');
    expect(errorBehaviourOf('')).toBe('rollback');
    expect(errorBehaviourOf('rollback')).toBe('rollback');
    expect(errorBehaviourOf(' Proceed ')).toBe('proceed');
    expect(codeOf(() => errorBehaviourOf('all'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => errorBehaviourOf('continue'))).toBe('VALIDATION_FAILED');
  });

  it('honours GS1-EPCIS-Version and GS1-CBV-Version 2.0 only (406 otherwise)', () => {
    expect(codeOf(() => requireSupportedVersions(undefined, undefined))).toBeUndefined();
    expect(codeOf(() => requireSupportedVersions('2.0', '2.0.0'))).toBeUndefined();
    expect(codeOf(() => requireSupportedVersions('2', undefined))).toBeUndefined();
    expect(codeOf(() => requireSupportedVersions('1.2', undefined))).toBe('NOT_ACCEPTABLE');
    expect(codeOf(() => requireSupportedVersions(undefined, '1.2'))).toBe('NOT_ACCEPTABLE');
    expect(codeOf(() => requireSupportedVersions('2.1', undefined))).toBe('NOT_ACCEPTABLE');
  });

  it('announces the limits and the default error behaviour on OPTIONS /epcis/capture only', () => {
    const capture = discoveryHeaders('OPTIONS, POST, GET', { maxEvents: 1000, maxBytes: 1048576 });
    expect(capture).toMatchObject({
      allow: 'OPTIONS, POST, GET',
      'GS1-EPCIS-Version': '2.0.0',
      'GS1-CBV-Version': '2.0.0',
      'GS1-EPCIS-Capture-Limit': '1000',
      'GS1-EPCIS-Capture-File-Size-Limit': '1048576',
      'GS1-Capture-Error-Behaviour': 'rollback',
    });
    expect(discoveryHeaders('OPTIONS, GET')).not.toHaveProperty('GS1-EPCIS-Capture-Limit');
  });

  it('measures a body by its Content-Length, else by its JSON', () => {
    expect(bodyBytes({ headers: { 'content-length': '1234' } }, { a: 1 })).toBe(1234);
    expect(bodyBytes({ headers: {} }, { a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(bodyBytes({ headers: {} }, undefined)).toBe(0);
  });

  it('knows the capture paths', () => {
    expect(isCapturePath('/epcis/capture')).toBe(true);
    expect(isCapturePath('/epcis/capture?prefix=88.118.8')).toBe(true);
    expect(isCapturePath('/epcis/events')).toBe(true);
    expect(isCapturePath('/epcis/capture/abc')).toBe(false);
    expect(isCapturePath('/epcis/events/x')).toBe(false);
  });
});
