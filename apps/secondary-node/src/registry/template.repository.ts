import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';

/** Work to do last inside a write's transaction (the audit row of the change). */
export type WithinTransaction = (manager: EntityManager) => Promise<void>;
import { DataTemplateEntity } from './entities/data-template.entity';
import { TemplateItemEntity } from './entities/template-item.entity';

export type TemplateWithItems = DataTemplateEntity & { items: TemplateItemEntity[] };

@Injectable()
export class TemplateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(prefixKey: string, version: string): Promise<TemplateWithItems | undefined> {
    const template = await this.dataSource.getRepository(DataTemplateEntity).findOne({
      where: { prefixKey, version },
      relations: { items: true },
      order: { items: { idIndex: 'ASC' } },
    });
    return (template as TemplateWithItems | null) ?? undefined;
  }

  /** Every template named by (prefix, version) pairs, in one query; for checking a batch. */
  async findMany(pairs: Array<{ prefixKey: string; version: string }>): Promise<TemplateWithItems[]> {
    if (pairs.length === 0) return [];
    const prefixKeys = [...new Set(pairs.map((p) => p.prefixKey))];
    const versions = [...new Set(pairs.map((p) => p.version))];
    const found = await this.dataSource.getRepository(DataTemplateEntity).find({
      where: { prefixKey: In(prefixKeys), version: In(versions) },
      relations: { items: true },
    });
    return found as TemplateWithItems[];
  }

  /** One page of a prefix's templates with their items, newest first (the page is chosen first, then its items read). */
  async pageForPrefix(prefixKey: string, offset: number, limit: number): Promise<{ items: TemplateWithItems[]; total: number }> {
    const templates = this.dataSource.getRepository(DataTemplateEntity);
    const [page, total] = await templates.findAndCount({ select: { id: true }, where: { prefixKey }, order: { createdAt: 'DESC', version: 'ASC' }, skip: offset, take: limit });
    if (page.length === 0) return { items: [], total };
    const found = await templates.find({ where: { id: In(page.map((t) => t.id)) }, relations: { items: true }, order: { items: { idIndex: 'ASC' } } });
    const byId = new Map(found.map((t) => [t.id, t as TemplateWithItems]));
    return { items: page.map((t) => byId.get(t.id)).filter((t): t is TemplateWithItems => t !== undefined), total };
  }

  async listForPrefix(prefixKey: string): Promise<DataTemplateEntity[]> {
    return this.dataSource.getRepository(DataTemplateEntity).find({ where: { prefixKey }, order: { version: 'ASC' } });
  }

  /** Inserts the template and its items in one transaction; false if (prefix, version) exists. */
  async create(template: Omit<DataTemplateEntity, 'id' | 'createdAt' | 'updatedAt' | 'items'>, items: Omit<TemplateItemEntity, 'templateId'>[], within?: WithinTransaction): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(DataTemplateEntity)
        .values(template)
        .orIgnore()
        .returning('id')
        .execute();
      if (inserted.raw.length === 0) return false;
      const templateId = (inserted.raw[0] as { id: string }).id;
      await manager.getRepository(TemplateItemEntity).insert(items.map((item) => ({ ...item, templateId })));
      await within?.(manager);
      return true;
    });
  }

  /** Updates the template's descriptive fields and upserts its items (items are never deleted). */
  async update(
    templateId: string,
    fields: Pick<DataTemplateEntity, 'industryCategory' | 'industrySpecific' | 'industryTrade' | 'industrySubclass' | 'type' | 'description'>,
    items: Omit<TemplateItemEntity, 'templateId'>[],
    within?: WithinTransaction,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(DataTemplateEntity).update({ id: templateId }, fields);
      // Names are unique per template and checked row by row, so items that swap or pass on names
      // in one PUT would collide half-way: park the names being rewritten on placeholders first
      // (a control character, which real names cannot contain).
      await manager.query(`UPDATE template_items SET name = chr(1) || id_index::text WHERE template_id = $1 AND id_index = ANY($2::int[])`, [
        templateId,
        items.map((item) => item.idIndex),
      ]);
      await manager.getRepository(TemplateItemEntity).upsert(
        items.map((item) => ({ ...item, templateId })),
        ['templateId', 'idIndex'],
      );
      await within?.(manager);
    });
  }

  async delete(templateId: string, within?: WithinTransaction): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(DataTemplateEntity).delete({ id: templateId });
      await within?.(manager);
    });
  }
}
