// The links and mirrors that the settings file declares (`links:`), made at start-up. Idempotent:
// a link that exists is kept as it is (it may have been changed through the API since), and a
// topic that is already a mirror is left alone. A failure is logged, not fatal: the broker still
// serves its other topics, and the link can be put right through the API.
import type { Logger } from 'pino';
import type { DeclaredLink } from '../config/settings.js';
import type { LinkManagerApi } from '../link/types.js';

export async function createDeclaredLinks(links: LinkManagerApi, declared: DeclaredLink[], logger: Logger): Promise<void> {
  for (const { mirrors, ...spec } of declared) {
    const existing = links.listLinks().find((l) => l.name === spec.name);
    if (existing && existing.bootstrapServers !== spec.bootstrapServers) {
      logger.warn({ link: spec.name, declared: spec.bootstrapServers, existing: existing.bootstrapServers }, 'the declared link exists with other bootstrap servers; it is kept as it is');
    }
    if (!existing) {
      try {
        await links.createLink(spec, { probe: false }); // start-up does not wait for the source
        logger.info({ link: spec.name }, 'created the declared cluster link');
      } catch (err) {
        logger.error({ link: spec.name, err }, 'could not create the declared cluster link');
        continue;
      }
    }
    for (const topic of mirrors) {
      const owner = links.mirrorOf(topic);
      if (owner) {
        if (owner.linkName !== spec.name) logger.warn({ link: spec.name, topic, owner: owner.linkName }, 'the declared mirror topic is a mirror on another link; left there');
        continue;
      }
      try {
        await links.createMirror(spec.name, topic);
        logger.info({ link: spec.name, topic }, 'created the declared mirror topic');
      } catch (err) {
        logger.error({ link: spec.name, topic, err }, 'could not create the declared mirror topic');
      }
    }
  }
}
