import {type Static, Type} from '@sinclair/typebox'

import {EnvRef, type ProviderSchema} from '../schema-kit.js'

const keys = Type.Object({url: EnvRef('the Workflows webhook URL')})

export type TeamsConfig = Static<typeof keys>

export default {description: 'Microsoft Teams Workflows webhook (Adaptive Card)', keys} satisfies ProviderSchema
