"""A small anchor-free detector (FCOS-style head on a three-level feature pyramid) for CPU real-time serving.

Exported with the Ultralytics YOLOv8 detect convention: input `images` [B,3,H,W] (RGB, /255, centred letterbox,
pad 114), output `output0` [B, 4+nc, N] with cx,cy,w,h in input pixels and sigmoid class scores.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32)


def conv_bn(c1, c2, k=3, s=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(c1, c2, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c2),
        nn.SiLU(inplace=True),
    )


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = conv_bn(c, c, 3)
        self.b = conv_bn(c, c, 3)

    def forward(self, x):
        return x + self.b(self.a(x))


class Detector(nn.Module):
    """Patchify stem (4x4, stride 4), three residual stages (strides 8/16/32), a small PAN neck and one head
    shared across levels (as FCOS) with a learnable scale per level. Plain 3x3 convolutions throughout: on CPU
    they run far closer to peak than depthwise ones, for training and for ONNX Runtime alike."""

    def __init__(self, num_classes, width=(32, 48, 64, 96), neck=48):
        super().__init__()
        c0, c1, c2, c3 = width
        self.num_classes = num_classes
        self.stem = nn.Sequential(nn.Conv2d(3, c0, 4, 4, 0, bias=False), nn.BatchNorm2d(c0), nn.SiLU(inplace=True))
        self.s8 = nn.Sequential(conv_bn(c0, c1, 3, 2), Residual(c1))
        self.s16 = nn.Sequential(conv_bn(c1, c2, 3, 2), Residual(c2))
        self.s32 = nn.Sequential(conv_bn(c2, c3, 3, 2), Residual(c3))
        self.lat3 = conv_bn(c1, neck, 1)
        self.lat4 = conv_bn(c2, neck, 1)
        self.lat5 = conv_bn(c3, neck, 1)
        self.td4 = conv_bn(neck, neck)
        self.td3 = conv_bn(neck, neck)
        self.bu4 = conv_bn(neck, neck, 3, 2)
        self.bu5 = conv_bn(neck, neck, 3, 2)
        self.out4 = conv_bn(neck, neck)
        self.out5 = conv_bn(neck, neck)
        self.tower = conv_bn(neck, neck)
        self.cls = nn.Conv2d(neck, num_classes, 1)
        self.reg = nn.Conv2d(neck, 4, 1)
        self.scales = nn.Parameter(torch.ones(len(STRIDES)))
        prior = 0.01
        nn.init.constant_(self.cls.bias, -math.log((1 - prior) / prior))
        nn.init.normal_(self.cls.weight, std=0.01)
        nn.init.normal_(self.reg.weight, std=0.01)
        nn.init.constant_(self.reg.bias, 0.0)

    def features(self, x):
        x = self.stem(x)
        p3 = self.s8(x)
        p4 = self.s16(p3)
        p5 = self.s32(p4)
        l5 = self.lat5(p5)
        l4 = self.td4(self.lat4(p4) + F.interpolate(l5, size=p4.shape[-2:], mode="nearest"))
        l3 = self.td3(self.lat3(p3) + F.interpolate(l4, size=p3.shape[-2:], mode="nearest"))
        n4 = self.out4(l4 + self.bu4(l3))
        n5 = self.out5(l5 + self.bu5(n4))
        return [l3, n4, n5]

    def forward(self, x):
        """Per level: class logits [B,nc,H,W] and box distances l,t,r,b in pixels [B,4,H,W]."""
        outputs = []
        for i, (f, s) in enumerate(zip(self.features(x), STRIDES)):
            t = self.tower(f)
            dist = F.softplus(self.reg(t) * self.scales[i]) * s
            outputs.append((self.cls(t), dist))
        return outputs

    def replace_classes(self, num_classes, keep):
        """New class head; rows of classes that survive (keep: new index -> old index or None) are copied."""
        old = self.cls
        self.cls = nn.Conv2d(old.in_channels, num_classes, 1)
        prior = 0.01
        with torch.no_grad():
            nn.init.normal_(self.cls.weight, std=0.01)
            nn.init.constant_(self.cls.bias, -math.log((1 - prior) / prior))
            for new_index, old_index in enumerate(keep):
                if old_index is not None:
                    self.cls.weight[new_index] = old.weight[old_index]
                    self.cls.bias[new_index] = old.bias[old_index]
        self.num_classes = num_classes


def anchor_points(height, width, device=None):
    """Centres of every cell of every level, in input pixels, level by level, row-major: [N,2] and strides [N]."""
    points, strides = [], []
    for s in STRIDES:
        h, w = math.ceil(height / s), math.ceil(width / s)
        ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
        pts = torch.stack([(xs.reshape(-1) + 0.5) * s, (ys.reshape(-1) + 0.5) * s], dim=1).float()
        points.append(pts)
        strides.append(torch.full((pts.shape[0],), float(s), device=device))
    return torch.cat(points), torch.cat(strides)


def flatten(outputs):
    """Level outputs -> logits [B,N,nc] and distances [B,N,4], in anchor_points order."""
    logits = torch.cat([c.flatten(2) for c, _ in outputs], dim=2).transpose(1, 2)
    dist = torch.cat([d.flatten(2) for _, d in outputs], dim=2).transpose(1, 2)
    return logits, dist


class ExportWrapper(nn.Module):
    """Adds the decoding to the graph: [B, 4+nc, N] = cx, cy, w, h (input pixels), sigmoid scores."""

    def __init__(self, model, height, width):
        super().__init__()
        self.model = model
        points, _ = anchor_points(height, width)
        self.register_buffer("points", points.t().unsqueeze(0))  # [1,2,N]

    def forward(self, images):
        outputs = self.model(images)
        logits = torch.cat([c.flatten(2) for c, _ in outputs], dim=2)  # [B,nc,N]
        dist = torch.cat([d.flatten(2) for _, d in outputs], dim=2)    # [B,4,N]
        lt = dist[:, 0:2, :]
        rb = dist[:, 2:4, :]
        x1y1 = self.points - lt
        x2y2 = self.points + rb
        cxcy = (x1y1 + x2y2) * 0.5
        wh = x2y2 - x1y1
        return torch.cat([cxcy, wh, logits.sigmoid()], dim=1)
