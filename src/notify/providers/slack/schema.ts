import {type Static, Type} from '@sinclair/typebox'

import {EnvRef, type ProviderSchema} from '../schema-kit.js'

const keys = Type.Object({url: EnvRef('the incoming-webhook URL')})

export type SlackConfig = Static<typeof keys>

export default {description: 'Slack incoming webhook (Block Kit message)', keys} satisfies ProviderSchema
