"""The commented studybot.yaml that `studybot init` writes. Every key here is read by bot/settings/."""

EXAMPLE_CONFIG = """\
# studybot 配置文件。所有配置项都可省略，省略时使用括号中的默认值。
# 密钥请放在环境变量或仓库之外的文件中，不要写进本文件。

bot:
  name: 学习助手              # 机器人在聊天中的名字（学习助手）

database:
  # 默认是当前目录下的 SQLite 文件；组织规模变大后可换 PostgreSQL，例如
  # postgresql+psycopg://studybot@db.example/studybot （密码请用环境变量或 .pgpass）
  # 一个 SQLite 文件只能由一个 studybot run 使用（运行时旁边有 studybot.db.lock）；备份：studybot db backup 文件
  url: sqlite:///data/studybot.db
  busy_timeout: 5             # 写入时等待其他写入（如旁边运行的导入）的秒数，超时后重试（5）

quizzes:
  bank_dirs: [banks]          # 加载这些目录下的 *.yaml 题库（banks）
  sample_bank: true           # 同时加载两个内置题库「党建基础知识」「二十届三中四中全会与党纪学习教育」（true）
  default_bank:               # 「开始竞赛」不写题库名时用哪个题库（留空 = 第一个题库，即内置的「党建基础知识」）
  questions_per_contest: 5    # 每场默认题数（5，最多 max_questions）
  max_questions: 20           # 每场最多题数（20）
  time_limit: 30              # 每题限时，秒（30）；题目、「开始竞赛 … N秒」、题库中的 time_limit 依次优先
  acknowledge_answers: true   # 收到答案时在群里回复「某某 已作答」（true；false = 任何群都不逐条回复）
  acknowledge_up_to: 10       # 只在支部不超过这么多人的群里逐条回复；更大的群每题只发一次进度（10）
  scored_by: [secretary, committee, admin]   # 谁发起的竞赛计入党建积分；其他成员发起的是练习赛（书记、委员、管理员）

scoring:                      # 竞赛本场得分（只排本场名次，不直接计入党建积分，见 points），见 README 的 Scoring 一节
  base_points: 10             # 答对且在 full_points_within 秒内作答的得分（10）
  full_points_within: 3       # 多少秒内答对得满分（3）
  min_factor: 0.5             # 截止时刻答对所得的比例，不低于 0.5（0.5）
  streak_bonus: 2             # 连续答对每多一题加分（2）
  streak_bonus_max: 6         # 连对加分上限（6）
  wrong_points: 0             # 答错得分，可设为负数扣分（0）

points:                       # 党建积分制，见 README 的「党建积分」一节
  study: 2                    # 学习类：「已学」每人每篇（2），资料自己的 points 优先
  daily: 2                    # 答题类：每日一题答对（2）
  practice: 1                 # 答题类：错题练习中某题第一次订正（1）
  contest_answer: 1           # 答题类：知识竞赛每答对一题（1）
  contest_bonus: false        # true：竞赛的速度、连对得分全部计入党建积分（false：只排本场名次）
  approval: true              # 手工加分、扣分须本支部另一名支委发送「同意 编号」后生效（true）
  manual_max: 20              # 手工加分、扣分每条最多（20）
  caps: {}                    # 各类别每日、每月上限，超出部分记 0 分并提醒一次。默认：
                              #   学习: {daily: 4, monthly: 40}    答题: {daily: 5, monthly: 60}
                              #   志愿服务: {monthly: 20}          先锋作用: {monthly: 20}
                              #   组织生活、扣分：不设上限（组织生活各类会议的分值在 meetings.types 的 points 中设置）
                              # 例如 答题: {daily: 10}；写 null 取消某项上限

# 群与支部的对应关系：群名（或平台群 ID）: 支部名。未列出的群视为与群同名的支部。
# 支部名最多 40 字，不能含有「/」「\\」「..」（群名不合要求时会自动整理成可用的支部名）。
groups: {}
  # 第一党支部学习群: 第一党支部
  # 机关党支部群: 机关党支部

timezone: Asia/Shanghai       # 固定为北京时间

content:                      # 学习资料与学习计划，见 README 的 Study 一节
  sample_library: true        # 同时加载内置的 21 篇学习资料（true）
  dirs: []                    # 更多学习资料目录：Markdown 文件，开头是 YAML 头（title、tags、source…）
  plans: []                   # 学习计划文件（YAML），例如 [plans/2026.yaml]；改后运行 studybot reload

calendar:                     # 工作日：默认按 chinese-calendar 的法定节假日和调休
  holidays: []                # 额外的休息日，例如 [2027-01-01]（chinese-calendar 尚无该年数据时需要）
  workdays: []                # 额外的工作日（调休上班的周末）
  shift: next_workday         # 推送遇非工作日：next_workday 顺延（默认）、skip 跳过、none 照常

meetings:                     # 三会一课与主题党日
  types: {}                   # 按类型改规则，如 党课: {period: quarter, required: 1, who: 全体党员}
                              # 另有 points、from_month、body；who 应到人员：支委（书记、副书记、委员）、小组、全体党员
  reminders: [3d, 1d, 1h]     # 会前提醒时间（3 天、1 天、1 小时）
  signin_before: 30           # 会前多少分钟起可「签到」（30）
  signin_after: 120           # 会议开始后多少分钟内可签到（120）
  overdue_notice: 每月第一个工作日 09:00   # 私信告诉支部书记上个月（季度、年度）缺开的会议
  warning_days: 7             # 每月最后 7 天里的第一个工作日私信提醒书记本期还缺的会议（0 为不提醒）
  warning_time: "09:00"       # 该提醒的时间（09:00）
  groups: {}                  # 党委的中心组、党委会成员，例如 {中心组: [张三, 李四], 党委: [张三, 王五]}
  files: []                   # 用 YAML 安排的会议，例如 [plans/meetings.yaml]；改后运行 studybot reload

summary:                      # 给党委的每周工作周报：上周参与情况、答题与学习、支部人均积分前三、三会一课需关注的支部
  when: 每周一 09:00          # 发送时间（每周一 09:00），写法同学习计划
  groups: []                  # 发到哪些群（群名或平台群 ID），例如 [党委工作群]
  members: []                 # 私聊发给哪些人（名册中的姓名）；groups 和 members 都为空时不发

schedule:                     # 定时任务与推送
  per_minute: 20              # 每个群每分钟最多推送几条（群机器人的限制：20）
  push_grace_minutes: 360     # 机器人停机错过的学习推送，在多少分钟内仍补发（360）
  contest_grace_minutes: 10   # 定时竞赛最多推迟多少分钟开始，超过则跳过（10）
  notice_grace_hours: 72      # 进度提醒最多推迟多少小时（72）
  min_push_interval_hours: 24 # 同一资料向同一个群至少间隔多少小时推送一次（24，即每天最多一次）；更频繁的安排会被拒绝

cluster:                      # 多个 studybot run 共用一个 PostgreSQL 时（SQLite 只能运行一个）：一个领导者，其余待命
  instance: ""                # 本实例的名字（留空为主机名），见于日志和数据库连接
  lease_seconds: 8            # 领导者租约秒数：领导者停止续约后，最多约这么久加一次续约间隔，另一实例接替（8）
  renew_seconds: 2            # 续约间隔秒数，不超过租约的一半（2）
  claim_seconds: 60           # 推送、转交的消息被某实例领取后保留多少秒；该实例死掉后过这么久由新领导者接手（60）
  inbox_poll_seconds: 0.1     # 领导者多久查看一次待命实例转交的消息（0.1）

server:                       # studybot run 的 HTTP 服务（接收企业微信、公众号回调）
  host: 127.0.0.1             # 监听地址（127.0.0.1）；由反向代理转发时保持默认即可
  port: 8080                  # 端口（8080）

web:                          # 管理后台网页（总览、排行、导出），与回调同一端口，地址为 /
  enabled: true               # 是否提供管理后台（true）
  base_url: ""                # 成员打开的地址，如 https://dangjian.example.com；留空则为 http://server.host:server.port
  link_minutes: 10            # 登录链接（私聊发「管理后台」或 studybot web link 姓名）有效分钟数，仅可用一次（10）
  idle_minutes: 30            # 多少分钟无操作后需重新登录（30）
  secret: ""                  # 签名登录状态的密钥，写成 env:变量名；留空则自动生成并保存在数据库中（重启后仍有效）
  wecom_login: false          # 企业微信登录（企业微信内网页授权、电脑扫码），需 wecom.corp_id 与 wecom.app；见 README
  dingtalk_login: false       # 钉钉登录（钉钉内免登、电脑扫码），需 dingtalk 一节（免登还需 dingtalk.corp_id）
  embed: false                # 允许嵌入企业微信/钉钉工作台的 iframe（需 https 的 base_url），否则禁止任何网站嵌入
  frame_ancestors:            # embed 为 true 时允许嵌入的来源
    - https://work.weixin.qq.com
    - https://*.dingtalk.com

h5:                           # 成员手机网页（/h5/）：在普通微信群里的支部用它参加竞赛
  contest_links: auto         # 竞赛开始时附上网页竞赛链接：auto（配置了下面的 branches 才附）、on、off（auto）
  branches: []                # 成员在普通微信群里的支部，如 [第三党支部]：各有一个网页群，可参加竞赛与全委竞赛

# 以下渠道默认关闭：去掉 # 并填写即开启。密钥一律写成 env:变量名，从环境变量读取，不要写进本文件。
# wecom:                                   # 企业微信
#   corp_id: ww0123456789abcdef            # 管理后台「我的企业」→ 企业 ID
#   robot:                                 # 智能机器人（API 模式）
#     mode: websocket                      # websocket（长连接，默认，无需公网 IP）或 callback（回调 URL）
#     bot_id: env:WECOM_BOT_ID             # 机器人详情 → BotID
#     secret: env:WECOM_BOT_SECRET         # 长连接 Secret
#     # callback 模式：token: env:WECOM_ROBOT_TOKEN，encoding_aes_key: env:WECOM_ROBOT_AES_KEY
#   app:                                   # 自建应用（私聊学习、每日一题）
#     agent_id: 1000002                    # 应用管理 → 应用 → AgentId
#     secret: env:WECOM_APP_SECRET         # 同页 Secret
#     token: env:WECOM_APP_TOKEN           # 接收消息 → 设置 API 接收 → Token
#     encoding_aes_key: env:WECOM_APP_AES_KEY   # 同页 EncodingAESKey
#   webhooks:                              # 群名: 群机器人「消息推送」webhook 的 key
#     第一党支部学习群: env:WECOM_WEBHOOK_BRANCH1
#   api_base_url: https://qyapi.weixin.qq.com      # 服务端接口地址（默认即可）
#   oauth_url: https://open.weixin.qq.com          # 网页授权地址（web.wecom_login，默认即可）
#   sso_url: https://login.work.weixin.qq.com      # 扫码登录地址（web.wecom_login，默认即可）
# wechat_mp:                               # 微信公众号
#   app_id: wx0123456789abcdef             # 公众号后台 → 设置与开发 → 基本配置 → AppID
#   app_secret: env:WECHAT_MP_SECRET       # 同页 AppSecret
#   token: env:WECHAT_MP_TOKEN             # 服务器配置 → 令牌(Token)
#   encoding_aes_key: env:WECHAT_MP_AES_KEY   # 服务器配置 → 消息加解密密钥（安全模式：只收加密消息）
#   accept_plaintext: false                # 兼容模式：也收明文消息（可被伪造），仅在切换到安全模式期间打开
#   api_base_url: https://api.weixin.qq.com        # 服务端接口地址（默认即可）
#   oauth_url: https://open.weixin.qq.com          # 网页授权地址（成员页 /h5/ 在微信内登录，默认即可）
#   link_template:                         # 模板消息（可选）：竞赛开始时，微信群支部已绑定的成员收到可点开的链接；
#     template_id: TPL0123456789           #   绑定申请的结果也这样告知。公众号后台 → 模板消息 → 我的模板 → 模板 ID
#     fields: {thing1: "{title}", thing2: "{text}", time3: "{time}"}  # 模板字段 → 标题/说明/时间（每项最多 20 字）
# dingtalk:                                # 钉钉企业内部机器人（Stream 模式，无需公网 IP）
#   client_id: env:DINGTALK_CLIENT_ID      # 开放平台 → 应用 → 凭证与基础信息 → Client ID
#   client_secret: env:DINGTALK_CLIENT_SECRET  # 同页 Client Secret
#   card_template_id: ""                   # 卡片平台 → 模板 ID（题目以按钮卡片发送）；不填则发文字
#   quota_per_month: 5000                  # 开放接口月调用额度（标准版 5000）：80% 提醒管理员，90% 起题目发文字
#   corp_id: ding0123456789abcdef          # 开发者后台首页 → CorpId（web.dingtalk_login 的钉钉内免登用）
#   openapi_endpoint: https://api.dingtalk.com     # 新版接口地址（默认即可）
#   oapi_base_url: https://oapi.dingtalk.com       # 旧版 topapi 接口地址（默认即可）
#   login_url: https://login.dingtalk.com          # 扫码登录地址（默认即可）
#   webhooks:                              # 群名: 自定义机器人（推送用，可不配）
#     第一党支部学习群:
#       access_token: env:DINGTALK_ROBOT_BRANCH1   # webhook 地址中 access_token= 后面的部分
#       secret: env:DINGTALK_ROBOT_BRANCH1_SECRET  # 安全设置 → 加签（SEC 开头）
"""
