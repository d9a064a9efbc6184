/** Service tiers, lowest first. Kept apart from the schema so `init` can offer them without loading it. */
export const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const
