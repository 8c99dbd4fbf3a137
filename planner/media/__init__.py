"""A brand's media library: images and video checked with Pillow, stored on disk or in
S3-compatible storage, attached in order to posts, and uploaded by each adapter its platform's way.
"""
