"""What is not article text: photo credits and captions, share/footer lines, comment counters,
`Read More` / `详情` links, navigation crumbs.

Line rules only fire on short lines (a real paragraph is never dropped for containing a keyword);
inline rules only remove a credit and the caption words right before it.
"""

from __future__ import annotations

import re

# Longest line a footer/share/navigation rule may drop: longer lines are article text.
MAX_DEBRIS_LEN = 100
# Longest line dropped as a caption because it ends with a photo credit.
MAX_CAPTION_LEN = 120

_NAME = r"[\u4e00-\u9fff·]{2,4}"
_NAMES = rf"{_NAME}(?:[\s、,，]+{_NAME})*"

# A photo credit closing a line or a caption: `宁杰文 摄`, `(新华社记者 李鑫 摄)`, `深圳市生态环境局供图`,
# `图片来源:GEI`, `图/视觉中国`, `摄影:张三`, `(图片由受访者提供)`.
CREDIT = re.compile(
    rf"(?:[(（]\s*)?(?:(?:新华社|本报|特约|通讯员)?记者\s*)?{_NAMES}\s+摄\s*[)）]?$"
    rf"|[(（]\s*(?:(?:新华社|本报)?记者\s*)?{_NAMES}\s*摄\s*[)）]$"
    r"|\S{2,20}供图\s*[)）]?$"
    r"|(?:图片|照片|图像|图)来源\s*[:：]\s*\S{1,30}$|图源\s*[:：]\s*\S{1,30}$"
    r"|(?:^|\s)图\s*[/／|丨]\s*\S{1,20}$"
    r"|摄影\s*[:：/]\s*\S{1,20}$"
    r"|[(（]?图片由\S{1,20}提供[)）]?$"
    r"|(?:^|\s)(?:视觉中国|IC photo|资料图(?:片)?)\s*[)）]?$",
    re.IGNORECASE,
)
_CREDIT_WORDS = ("摄", "供图", "图", "视觉中国", "IC photo", "ic photo")
# The same credits inside a flattened paragraph, followed by more text.
INLINE_CREDIT = re.compile(
    r"(?:图片|照片)来源\s*[:：]\s*[^\s，,。]{1,30}"
    rf"|{_NAME}\s+摄(?=\s)"
    r"|\S{2,20}供图(?=\s)"
    r"|图\s*[/／]\s*[^\s，,。]{1,20}(?=\s)"
)

COMMENT = re.compile(
    r"^(?:\d+\s*(?:comments?|responses?|replies|likes?|条评论|评论|回复|赞)|no comments?|评论\s*[(（]?\d+[)）]?)$",
    re.IGNORECASE,
)
MORE = re.compile(
    r"^(?:read more|continue reading|more|阅读全文|阅读原文|阅读更多|查看全文|查看详情|查看更多|了解更多|"
    r"详情|详细|更多|"
    r"点击查看|全文|\[详细\]|【详细】)\s*[>»》]*$",
    re.IGNORECASE,
)
# `... Read More` glued to the end of an excerpt.
TRAILING_MORE = re.compile(
    r"\s*(?:\.{2,}|…+)?\s*"
    r"(?:read more|continue reading|阅读全文|查看全文|阅读更多|\[详细\]|【详细】|详情\s*>+)\s*[>»]*$",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"扫一扫|扫码|微信公众号|关注我们|分享到|分享至|一键分享|版权所有|copyright|©|ICP备|ICP证|公网安备|"
    r"打印本页|打印此页|关闭窗口|【打印】|【关闭】|返回顶部|上一篇|下一篇|责任编辑|编辑\s*[:：]|"
    r"字体\s*[:：]|【字体|字号\s*[:：]|收藏本页|加入收藏|相关阅读|相关新闻|相关链接|推荐阅读|免责声明|"
    r"转载请注明|浏览次数|阅读次数|点击数\s*[:：]|网站地图|联系我们|当前位置|您的位置|所在位置|"
    r"^(?:点赞|在看|赞赏|留言|分享|收藏|喜欢)(?:\s+(?:点赞|在看|赞赏|留言|分享|收藏|喜欢))*$",
    re.IGNORECASE,
)
_END_MARK = re.compile(r"^[(（\[【]?\s*(?:完|全文完|END|The End)\s*[)）\]】]?$", re.IGNORECASE)
_CRUMB = re.compile(r"^(?:[^>›»\s]{1,12}\s*[>›»]\s*){2,}[^>›»]{0,20}$")
_MENU = re.compile(r"^(?:\S{1,6}\s+){3,}\S{1,6}$")  # 首页 新闻 政务 服务 互动


def is_comment(text: str) -> bool:
    return bool(COMMENT.match(text))


def is_more(text: str) -> bool:
    return bool(MORE.match(text))


def is_footer(text: str) -> bool:
    if len(text) > MAX_DEBRIS_LEN:
        return False
    if _FOOTER.search(text) or _CRUMB.match(text) or _END_MARK.match(text):
        return True
    # A line of short words separated by spaces with no punctuation at all: a menu.
    return bool(_MENU.match(text)) and not re.search(r"[，。,；;：:！!？?]", text)


def is_credit_caption(text: str) -> bool:
    """A short line that ends with a photo credit: caption and credit together."""
    if len(text) > MAX_CAPTION_LEN or not any(k in text for k in _CREDIT_WORDS):
        return False
    return bool(CREDIT.search(text))
