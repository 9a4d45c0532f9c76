"""What the deployment profiles need to know about regions, without CDK (tests import it).

``global``: any commercial AWS region. ``cn``: AWS China (the ``aws-cn`` partition), where
Cognito user pools, SES, SNS SMS, CloudFront-backed (edge-optimized) APIs and us-east-1
certificates are not available (see infra/stack.py for what replaces them).
"""

from __future__ import annotations

#: The regions of the ``cn`` profile (the aws-cn partition).
CHINA_REGIONS = ("cn-north-1", "cn-northwest-1")
CHINA_PARTITION = "aws-cn"

#: SMTP defaults of the ``cn`` profile: Alibaba Cloud DirectMail over TLS (port 465);
#: ``-c smtp_host=... -c smtp_port=...`` for any other provider (e.g. Tencent Cloud SES).
DEFAULT_SMTP_HOST = "smtpdm.aliyun.com"
DEFAULT_SMTP_PORT = 465


def check_certificate(profile: str, certificate_arn: str | None) -> None:
    """A regional custom domain needs a certificate in the API's own region. In China that
    is an ACM ARN of the aws-cn partition in cn-north-1 or cn-northwest-1, never one in
    us-east-1 (which only edge-optimized APIs and CloudFront use). Raises ValueError."""
    if profile != "cn" or not certificate_arn or certificate_arn.startswith("${Token["):
        return
    parts = certificate_arn.split(":")
    if len(parts) < 6 or parts[1] != CHINA_PARTITION or parts[2] != "acm" or parts[3] not in CHINA_REGIONS:
        raise ValueError(f"profile cn: certificate_arn must be an ACM certificate of the {CHINA_PARTITION} partition "
                         f"in {' or '.join(CHINA_REGIONS)} (the API's own region), not {certificate_arn!r}")
