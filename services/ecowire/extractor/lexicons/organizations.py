"""Organisation suffixes and the kind each implies, plus words that bound an organisation name."""

from __future__ import annotations

from . import words

# Suffix → kind. Checked longest first; a name's kind is its longest matching suffix's kind,
# unless a prefix rule (international bodies, media) says otherwise.
SUFFIX_KIND: dict[str, str] = {
    # government
    "人民政府": "government", "政府": "government", "国务院": "government", "中共中央": "government",
    "党中央": "government", "办公厅": "government",
    "委员会": "government", "管委会": "government", "管理委员会": "government", "常委会": "government",
    "人大常委会": "government", "政协": "government",
    "市委": "government", "省委": "government", "区委": "government", "县委": "government",
    "部": "government", "厅": "government", "局": "government", "委": "government",
    "署": "government",  "法院": "government",
    "检察院": "government", "公安局": "government", "海关": "government", "总局": "government",
    "领事馆": "government", "总领事馆": "government", "大使馆": "government", "使馆": "government",
    "发改委": "government", "生态环境部": "government", "环保局": "government", "街道办事处": "government",
    "办事处": "government",
    # enterprise
    "公司": "enterprise", "有限公司": "enterprise", "集团": "enterprise", "银行": "enterprise",
    "交易所": "enterprise", "交易中心": "enterprise", "电厂": "enterprise", "发电厂": "enterprise",
    "电网": "enterprise",
    "事务所": "enterprise", "基金公司": "enterprise",
    "酒店": "enterprise", "商场": "enterprise",
    # ngo
    "协会": "ngo", "学会": "ngo", "研究会": "ngo", "促进会": "ngo", "基金会": "ngo", "联盟": "ngo",
    "联合会": "ngo", "商会": "ngo", "俱乐部": "ngo", "保护中心": "ngo", "志愿者协会": "ngo",
    "公益组织": "ngo", "合作社": "ngo", "科协": "ngo", "妇联": "ngo", "工商联": "ngo", "侨联": "ngo",
    "残联": "ngo", "总工会": "ngo", "工会": "ngo", "红十字会": "ngo", "共青团": "government", "团委": "government",
    "领导小组": "government", "工作领导小组": "government", "联合国": "international", "欧盟": "international",
    "东盟": "international", "非盟": "international", "基金": "international", "旅行社": "enterprise",
    "社": "media", "人大": "government", "参议院": "government", "众议院": "government",
    "议会": "government", "国会": "government", "内阁": "government",
    # academic
    "大学": "academic", "学院": "academic", "研究所": "academic", "研究院": "academic",
    "科学院": "academic", "工程院": "academic", "社会科学院": "academic", "实验室": "academic",
    "研究中心": "academic", "中学": "academic", "小学": "academic", "学校": "academic", "党校": "academic",
    "智库": "academic", "设计院": "academic", "规划院": "academic",
    # media
    "报社": "media", "日报": "media", "晚报": "media", "晨报": "media", "时报": "media", "商报": "media",
    "电视台": "media", "广播电台": "media", "新闻社": "media", "通讯社": "media", "杂志社": "media",
    "新闻网": "media", "出版社": "media", "融媒体中心": "media",
    # generic, kind decided by prefix words
    "中心": "government", "组织": "ngo", "机构": "ngo",
    "开发计划署": "international", "规划署": "international",
}
SUFFIXES_BY_LEN: tuple[str, ...] = tuple(sorted(SUFFIX_KIND, key=len, reverse=True))

# Words ending with a suffix that are not organisations (格局 ends in 局, 内部 in 部 ...).
NOT_ORG_WORDS: frozenset[str] = frozenset(words("""
格局 布局 结局 大局 开局 全局 当局 局部 局面 骗局 僵局 棋局 饭局 残局 终局 时局 政局 变局 新格局
内部 外部 全部 局部 部分 各部 本部 总部 东部 西部 南部 北部 中部 底部 顶部 头部 腹部 胸部 面部
背部 腰部 尾部 俱乐部 干部 支部 基部 根部 细部 上部 下部 前部 后部 后台 大厅 客厅 展厅 餐厅 门厅
舞厅 会议厅 各委 本委 编委 部委 大委 党委 该委 地委 纪委 该局 本局 各局 该厅 本厅 各厅 该署 本署
各署 该办 本办 各办 该所 本所 各所 诊所 场所 处所 住所 厕所 派出所 哨所 寓所 该院 本院 各院 医院
法院 庭院 寺院 剧院 影院 学院 科学院 该中心 本中心 各中心 市中心 城市中心 中心 核心 重心 圆心
中央 该公司 本公司 各公司 子公司 分公司 母公司 总公司 该集团 本集团 各集团 该组织 本组织 各组织
基层组织 党组织 各机构 该机构 本机构 相关机构 专业机构 金融机构 研究机构 科研机构 环境机构
社区机构 社会组织 公益组织 国际组织 企业 该企业 本企业 各企业 相关企业 重点企业 优质企业
链主企业 中小企业 民营企业 国有企业 外资企业 龙头企业 会员企业 入库企业 控排企业 排放企业
工业企业 试点企业 高新企业 示范企业 大型企业 上市企业 平台企业 政府 该政府 各级政府 地方政府
有为政府 当地政府 上级政府 人民政府 行业协会 发电厂 燃煤电厂 基金 联盟 战略联盟 产业联盟
全球联盟 办公室 中央 委员会 部门 各部门 有关部门 相关部门 职能部门 银行 各银行 商业银行 交易所
大学 研究所 研究院 实验室 学校 协会 学会 基金会 商会 秘书处 电厂 电站 电网 厂 工厂 大型电厂 会
代表处 办事处 工作组 督察组 集团 公司 有限公司 智库 机构 组织
"""))

# Left boundary: an organisation name never starts with or crosses these words.
LEFT_STOP_WORDS: frozenset[str] = frozenset(words("""
的 在 由 与 及 以及 同 向 对 据 经 是 为 了 将 把 被 从 于 至 到 和 或 并 而 但 也 都 又 还 就
即 等 来自 包括 参加 出席 联合 携手 会同 会同 牵头 举办 主办 承办 协办 指导 支持 发布 印发 出台
签署 组织 邀请 成立 设立 依托 通过 根据 按照 依照 围绕 推动 推进 开展 加强 促进 召开 举行 启动
代表 介绍 表示 指出 该 其 本 我 此 这 那 各 每 某 贵 这个 这些 那些 有关 相关 其他 其它 多家
多个 一家 一个 首个 首批 首家 参观 宣布 贯彻落实 充分发挥 贯彻执行 发挥 执行 落实 加快 鼓励 引导
要求 联系 对接 配合 委托 下属 子公司 分公司 母公司 当地 旗下 所属 所辖 隶属 作为 成为 担任 任
是否 如 比如 例如 包含 作 做 获 获得 与会 会上 上午 下午 当天 日前 近日 目前 今年 去年 明年 此外
同时 随后 首先 其中 对于 关于 以 向 前往 赴 抵达 访问 考察 调研 会见 受 请 让 使 给 跟 为了 持续
不断 积极 认真 切实 全面 深入 大力 进一步 充分 努力 始终 一直 仍 仍然 逐步 稳步 有效 高度 率先
主动 相继 陆续 均 均已 都已 再 又 已于 曾 曾经 正 针对 面向 全国 各级 各地 全市 全省 全区 全县
中外 国内外 海内外 多国 各国 两国 分别 共同 正式 再次 先后 已经 已 正在 将于 于是 这是 就是 即将
首次 一是 二是 三是 四是 五是
"""))

# Tokens that may sit inside a name though they look like function words (住房和城乡建设部).
INNER_CONJUNCTIONS: frozenset[str] = frozenset({"和", "与", "及"})

# Departments that fold into their parent organisation (生态环境部应对气候变化司 → 生态环境部).
DEPARTMENT_SUFFIXES: tuple[str, ...] = (
    "司", "处", "科", "室", "办公室", "办公厅",
    "部门", "事业部", "支队", "大队", "中队", "总部", "分部", "工作组", "课题组",
    "项目组", "秘书处", "代表处", "党组", "党委", "督察组", "办",
)

# International bodies by prefix or acronym.
INTERNATIONAL_PREFIXES: tuple[str, ...] = ("联合国", "世界", "国际", "亚洲", "全球", "欧盟", "欧洲", "东盟",
                                           "亚太", "非洲", "二十国集团", "金砖")
INTERNATIONAL_ACRONYMS: frozenset[str] = frozenset(words("""
UN UNDP UNEP UNFCCC UNESCO UNICEF UNIDO FAO WHO WMO WTO IMF IPCC IUCN GEF GCF IEA IRENA OECD ADB
AIIB NDB ILO IMO ICAO ITU WWF WRI IISD ICLEI C40 CBD ITTO UNCCD UNHCR WB EU ASEAN APEC BRICS
OPEC
"""))
NGO_ACRONYMS: frozenset[str] = frozenset({"WWF", "WRI", "GEI", "NRDC", "TNC", "WCS", "EDF", "ICLEI", "C40"})
