import { BadInputError } from '../errors.js';

/*
 * The image reference grammar (distribution's reference package, as docker reads a
 * name): [domain/]component[/component]...[:tag][@digest], components lowercase, the
 * first part a domain only when it has a dot or a port, or is localhost; or an image id.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{12,64}$/;

/** The reason `ref` is not an image reference, or null when it is one. */
export function imageRefProblem(ref: string): string | null {
  if (!ref) return 'it is empty';
  if (IMAGE_ID.test(ref) || REFERENCE.test(ref)) return null;
  if (ref.length > 255 + 128) return 'it is too long';
  const name = ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const first = name.split('/')[0] ?? '';
  const isDomain = name.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  const path = isDomain ? name.slice(first.length + 1) : name;
  if (/[A-Z]/.test(path)) return 'repository names are lowercase';
  if (/\s/.test(ref)) return 'it contains white space';
  return 'it does not follow [registry/]name[:tag][@digest]';
}

/** Refuse a malformed image reference before any engine work, in one line. */
export function checkImageRef(ref: string, where: string): string {
  const problem = imageRefProblem(ref);
  if (problem) throw new BadInputError(`${where}: "${ref}" is not an image reference: ${problem}`);
  return ref;
}
